-- Segue: continue the time selection (or the last bars before the edit cursor) in REAPER.
--
-- Renders the master mix of the clip into Segue's watch folder, lets the running engine
-- (`segue serve --watch <folder>`) continue it, and inserts the continuation on a new track at
-- the end of the clip, in one undo step. REAPER never waits on the engine: the script looks for
-- the answer with reaper.defer, so you can keep working. Your render settings are saved before
-- the render and restored right after it.
--
-- Set-up, key binding, OSC and MIDI triggers: the REAPER section of Segue's README.md.

local CONFIG = {
  -- The folder given to `segue serve --watch` ("~" is your home folder).
  watch = "~/Segue/watch",
  -- Bars to continue; 0: as many whole bars as the clip (at least one).
  bars = 0,
  -- With no time selection, the clip is this many bars before the edit cursor.
  last_bars = 4,
  -- Seconds to wait for the engine's answer before giving up.
  timeout = 120,
}

local TITLE = "Segue"
-- "File: Render project, using the most recent render settings, auto-close render dialog"
local RENDER_COMMAND = 42230
local NEW_TRACK = 1 -- InsertMedia mode: add the file on a new track at the edit cursor
local SHORTEST_CLIP = 0.5 -- seconds: the engine refuses anything shorter
local SEP = package.config:sub(1, 1)

local Segue = { CONFIG = CONFIG }

-- Render settings the render needs, in the order they are set; each is saved and restored.
-- (RENDER_STARTPOS and RENDER_ENDPOS come from the clip.)
local NUMBER_SETTINGS = {
  { "RENDER_SETTINGS", 0 }, -- the master mix only: no stems, no selected items
  { "RENDER_BOUNDSFLAG", 0 }, -- custom time bounds: RENDER_STARTPOS to RENDER_ENDPOS
  { "RENDER_SRATE", 0 }, -- the project's sample rate: the continuation comes back at it
  { "RENDER_CHANNELS", 2 },
  { "RENDER_TAILFLAG", 0 }, -- no tail: the clip must end where the continuation starts
  { "RENDER_ADDTOPROJ", 0 }, -- do not add the clip to the project (and render it even silent)
  { "RENDER_NORMALIZE", 0 }, -- no normalizing, limiter or fades: the engine matches the level
}

local function path(...)
  return table.concat({ ... }, SEP)
end

local function expand(folder)
  local home = os.getenv("HOME") or os.getenv("USERPROFILE") or ""
  folder = folder:gsub("^~", function()
    return home
  end)
  if SEP == "\\" then
    folder = folder:gsub("/", "\\")
  end
  return (folder:gsub("[/\\]+$", ""))
end

local function exists(file)
  local handle = io.open(file, "rb")
  if handle then
    handle:close()
  end
  return handle ~= nil
end

local function first_line(file)
  local handle = io.open(file, "r")
  if not handle then
    return nil
  end
  local line = handle:read("l")
  handle:close()
  return line or ""
end

-- A number for JSON whatever the C locale says its decimal point is.
local function json_number(value)
  return (string.format("%.12g", value):gsub(",", "."))
end

-- Written under a hidden temporary name and renamed: the engine never reads half a sidecar.
local function write_atomically(folder, name, text)
  local temp = path(folder, "." .. name .. ".part")
  local handle, reason = io.open(temp, "w")
  if not handle then
    return nil, reason
  end
  handle:write(text)
  handle:close()
  return os.rename(temp, path(folder, name))
end

-- The clip: the time selection, or the last `last_bars` bars before the edit cursor.
local function clip_bounds(project)
  local start, finish = reaper.GetSet_LoopTimeRange2(project, false, false, 0, 0, false)
  if finish > start then
    return start, finish
  end
  local cursor = reaper.GetCursorPositionEx(project)
  local beat, measure = reaper.TimeMap2_timeToBeats(project, cursor)
  start = reaper.TimeMap2_beatsToTime(project, beat, math.floor(measure) - CONFIG.last_bars)
  return math.max(0, start), cursor
end

-- What the engine needs to make exactly `bars` bars of the bar at `finish` onwards. The tempo
-- is read off the time map (the length of that bar) so it is in beats of the time signature.
local function build_request(project)
  local start, finish = clip_bounds(project)
  local _, measure, beats_per_bar, end_beats = reaper.TimeMap2_timeToBeats(project, finish)
  local _, _, _, start_beats = reaper.TimeMap2_timeToBeats(project, start)
  local bar_start = reaper.TimeMap2_beatsToTime(project, 0, math.floor(measure))
  local bar_seconds = reaper.TimeMap2_beatsToTime(project, 0, math.floor(measure) + 1) - bar_start
  beats_per_bar = math.floor(beats_per_bar + 0.5)
  local bars = CONFIG.bars
  if bars <= 0 then
    bars = math.max(1, math.floor((end_beats - start_beats) / beats_per_bar + 0.5))
  end
  return {
    start = start,
    finish = finish,
    bars = bars,
    bpm = 60 * beats_per_bar / bar_seconds,
    beats_per_bar = beats_per_bar,
  }
end

local function sidecar(request)
  return string.format(
    '{"bars": %s, "bpm": %s, "beats_per_bar": %d}\n',
    json_number(request.bars),
    json_number(request.bpm),
    request.beats_per_bar
  )
end

-- A name no earlier request used: the date, the second and a millisecond count.
local function unique_name()
  local milliseconds = math.floor(reaper.time_precise() * 1000) % 1000
  return string.format("segue-%s-%03d", os.date("%Y%m%d-%H%M%S"), milliseconds)
end

local function save_settings(project)
  local saved = { numbers = {}, strings = {} }
  for _, setting in ipairs(NUMBER_SETTINGS) do
    saved.numbers[setting[1]] = reaper.GetSetProjectInfo(project, setting[1], 0, false)
  end
  for _, key in ipairs({ "RENDER_STARTPOS", "RENDER_ENDPOS" }) do
    saved.numbers[key] = reaper.GetSetProjectInfo(project, key, 0, false)
  end
  for _, key in ipairs({ "RENDER_FILE", "RENDER_PATTERN", "RENDER_FORMAT", "RENDER_FORMAT2" }) do
    local _, value = reaper.GetSetProjectInfo_String(project, key, "", false)
    saved.strings[key] = value
  end
  return saved
end

local function restore_settings(project, saved)
  for key, value in pairs(saved.numbers) do
    reaper.GetSetProjectInfo(project, key, value, true)
  end
  for key, value in pairs(saved.strings) do
    reaper.GetSetProjectInfo_String(project, key, value, true)
  end
end

-- Render the clip's master mix to <folder>/<pattern>.wav and give the user's settings back.
local function render(project, request, folder, pattern)
  local saved = save_settings(project)
  local ok, reason = pcall(function()
    for _, setting in ipairs(NUMBER_SETTINGS) do
      reaper.GetSetProjectInfo(project, setting[1], setting[2], true)
    end
    reaper.GetSetProjectInfo(project, "RENDER_STARTPOS", request.start, true)
    reaper.GetSetProjectInfo(project, "RENDER_ENDPOS", request.finish, true)
    reaper.GetSetProjectInfo_String(project, "RENDER_FILE", folder, true)
    reaper.GetSetProjectInfo_String(project, "RENDER_PATTERN", pattern, true)
    reaper.GetSetProjectInfo_String(project, "RENDER_FORMAT", "evaw", true) -- wav, its defaults
    reaper.GetSetProjectInfo_String(project, "RENDER_FORMAT2", "", true) -- no second file
    reaper.Main_OnCommand(RENDER_COMMAND, 0)
  end)
  restore_settings(project, saved)
  if not ok then
    error(reason, 0)
  end
  return path(folder, pattern .. ".wav")
end

local function insert(job)
  reaper.Undo_BeginBlock()
  reaper.SetEditCurPos(job.position, false, false)
  reaper.InsertMedia(job.output, NEW_TRACK)
  reaper.Undo_EndBlock("Segue: insert continuation", -1)
  reaper.UpdateArrange()
end

-- One look at the watch folder per defer cycle until the continuation, a failure or the timeout.
local function wait(job)
  local function look()
    if exists(job.output) then
      if reaper.EnumProjects(-1) == job.project then
        insert(job)
      else
        reaper.ShowMessageBox(
          "The project you continued is no longer the current one, so nothing was inserted.\n\n"
            .. "The continuation is "
            .. job.output,
          TITLE,
          0
        )
      end
    elseif exists(job.error) then
      reaper.ShowMessageBox(
        "Segue could not continue the clip:\n\n" .. first_line(job.error),
        TITLE,
        0
      )
    elseif reaper.time_precise() > job.deadline then
      reaper.ShowMessageBox(
        string.format(
          "No continuation after %g s. Is `segue serve --watch %s` running?\n\n"
            .. "The clip waits in %s; if the engine continues it later, the continuation "
            .. "will be %s",
          CONFIG.timeout,
          job.watch,
          job.clip,
          job.output
        ),
        TITLE,
        0
      )
    else
      reaper.defer(look)
    end
  end
  reaper.defer(look)
end

local function start()
  local project = reaper.EnumProjects(-1)
  local watch = expand(CONFIG.watch)
  local inbox = path(watch, "inbox")
  local request = build_request(project)
  if request.finish - request.start < SHORTEST_CLIP then
    error("the clip is shorter than half a second: select the bars to continue", 0)
  end
  local name = unique_name()
  -- The sidecar goes first (the engine reads it with the clip); writing it also proves inbox/.
  local written, reason = write_atomically(inbox, name .. ".json", sidecar(request))
  if not written then
    error(
      string.format(
        "cannot write to %s (%s).\n\nStart the engine with `segue serve --watch %s`, or set "
          .. "watch at the top of this script to the folder it watches.",
        inbox,
        reason,
        watch
      ),
      0
    )
  end
  local ok, rendered = pcall(render, project, request, inbox, "." .. name)
  if not (ok and exists(rendered)) then
    os.remove(path(inbox, name .. ".json"))
    os.remove(path(inbox, "." .. name .. ".wav"))
    local why = ok and "was the render cancelled?" or rendered
    error("REAPER did not render the clip (" .. why .. ")", 0)
  end
  local clip = path(inbox, name .. ".wav")
  assert(os.rename(rendered, clip)) -- renamed in whole: the engine takes it at once
  wait({
    project = project,
    watch = watch,
    clip = clip,
    position = request.finish,
    output = path(watch, "outbox", name .. ".continuation.wav"),
    error = path(watch, "failed", name .. ".error.txt"),
    deadline = reaper.time_precise() + CONFIG.timeout,
  })
end

function Segue.main()
  local ok, reason = pcall(start)
  if not ok then
    reaper.ShowMessageBox("Segue: " .. tostring(reason), TITLE, 0)
  end
end

if SEGUE_TEST then
  return Segue
end
Segue.main()
