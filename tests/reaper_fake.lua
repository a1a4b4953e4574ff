-- A fake of the REAPER functions that bridge/daws/reaper/segue_continue.lua calls, for
-- tests/test_reaper.py: REAPER itself cannot run in the test environment. It records every
-- call and keeps a small model of one project; the test reads the record as JSON.
--
-- Faked, with the names, arguments and return values of the ReaScript API documentation
-- (https://www.reaper.fm/sdk/reascript/reascripthelp.html, Lua signatures):
--   ReaProject retval, string projfn = EnumProjects(integer idx)      idx -1: the current one
--   number start, number end = GetSet_LoopTimeRange2(ReaProject proj, boolean isSet,
--                                  boolean isLoop, number start, number end, boolean allowautoseek)
--   number = GetCursorPositionEx(ReaProject proj)
--   number retval, number measures, number cml, number fullbeats, number cdenom =
--       TimeMap2_timeToBeats(ReaProject proj, number tpos)    retval: beats since the measure
--   number = TimeMap2_beatsToTime(ReaProject proj, number tpos, optional integer measuresIn)
--   number = GetSetProjectInfo(ReaProject project, string desc, number value, boolean is_set)
--   boolean retval, string valuestrNeedBig = GetSetProjectInfo_String(ReaProject project,
--                                  string desc, string valuestrNeedBig, boolean is_set)
--   Main_OnCommand(integer command, integer flag)
--   SetEditCurPos(number time, boolean moveview, boolean seekplay)
--   integer = InsertMedia(string file, integer mode)
--   Undo_BeginBlock(), Undo_EndBlock(string descchange, integer extraflags), UpdateArrange()
--   integer = ShowMessageBox(string msg, string title, integer type)    returns 1: OK
--   defer(function), number = time_precise()
--
-- What it simplifies, and how it is stricter than REAPER:
-- - One project, one tempo and one time signature; "beats" are beats of the time signature
--   (the same as REAPER's for the x/4 signatures the tests use).
-- - Command 42230 ("File: Render project, using the most recent render settings, auto-close
--   render dialog") "renders" by copying the WAV file the test made (SCENARIO.render_source) to
--   RENDER_FILE/RENDER_PATTERN.wav, as REAPER writes a wav render; the settings at that moment
--   are recorded; with no render_source it writes nothing, as when the user cancels the render.
--   It models the wav sink only ("evaw").
-- - With SCENARIO.switch_project, another project tab is the current one after the render.
-- - InsertMedia models modes 0 (current track) and 1 (a new track), at the edit cursor.
-- - Project info keys it does not model, other commands and unknown modes raise an error
--   instead of being ignored, so a typo in the script fails the test.
-- - defer calls back every TICK seconds of real time (REAPER: about 30 times a second), and
--   time_precise counts those ticks from the wall-clock time the test gives.

local fake = {}

local TICK = 1 / 30
local RENDER_COMMAND = 42230
local NUMBER_KEYS = {
  RENDER_SETTINGS = true,
  RENDER_BOUNDSFLAG = true,
  RENDER_STARTPOS = true,
  RENDER_ENDPOS = true,
  RENDER_SRATE = true,
  RENDER_CHANNELS = true,
  RENDER_TAILFLAG = true,
  RENDER_ADDTOPROJ = true,
  RENDER_NORMALIZE = true,
}
local STRING_KEYS = {
  RENDER_FILE = true,
  RENDER_PATTERN = true,
  RENDER_FORMAT = true,
  RENDER_FORMAT2 = true,
}

local function project()
  return setmetatable({}, {
    __tostring = function()
      return "ReaProject"
    end,
  })
end
local PROJECT, OTHER_PROJECT = project(), project()

local state -- set by install()

local function copy(table_)
  local result = {}
  for key, value in pairs(table_) do
    result[key] = value
  end
  return result
end

local function check_project(proj)
  if proj ~= PROJECT and proj ~= 0 and proj ~= nil then
    error("fake: not a project: " .. tostring(proj), 3)
  end
end

local function record(name, ...)
  local args = table.pack(...)
  local shown = {}
  for i = 1, args.n do
    local value = args[i]
    if type(value) == "function" or type(value) == "table" then
      value = "<" .. tostring(value):match("^%a+") .. ">"
    end
    shown[i] = value == nil and "<nil>" or value
  end
  table.insert(state.calls, { name = name, args = shown })
end

local function render()
  local settings = state.settings
  if settings.RENDER_FORMAT ~= "evaw" then
    error("fake: only the wav sink (\"evaw\") is modelled, not " .. settings.RENDER_FORMAT, 3)
  end
  local target = settings.RENDER_FILE .. "/" .. settings.RENDER_PATTERN .. ".wav"
  table.insert(state.renders, { settings = copy(settings), target = target })
  if state.switch_project then
    state.current = OTHER_PROJECT
  end
  if not state.render_source then
    return
  end
  local source = assert(io.open(state.render_source, "rb"))
  local data = source:read("a")
  source:close()
  local out = assert(io.open(target, "wb"))
  out:write(data)
  out:close()
end

local api = {}

function api.EnumProjects(idx)
  if idx == -1 then
    return state.current, ""
  end
  local projects = { [0] = PROJECT, [1] = OTHER_PROJECT }
  return projects[idx], projects[idx] and "" or nil
end

function api.GetSet_LoopTimeRange2(proj, isSet, isLoop, start, finish, allowautoseek)
  check_project(proj)
  assert(isLoop == false, "fake: only the time selection is modelled, not loop points")
  if isSet then
    state.selection = { start, finish }
  end
  return state.selection[1], state.selection[2]
end

function api.GetCursorPositionEx(proj)
  check_project(proj)
  return state.cursor
end

function api.TimeMap2_timeToBeats(proj, tpos)
  check_project(proj)
  local fullbeats = tpos * state.bpm / 60
  local measures = math.floor(fullbeats / state.beats_per_bar)
  return fullbeats - measures * state.beats_per_bar, measures, state.beats_per_bar, fullbeats,
    state.denominator
end

function api.TimeMap2_beatsToTime(proj, tpos, measuresIn)
  check_project(proj)
  return ((measuresIn or 0) * state.beats_per_bar + tpos) * 60 / state.bpm
end

function api.GetSetProjectInfo(project, desc, value, is_set)
  check_project(project)
  if not NUMBER_KEYS[desc] then
    error("fake: GetSetProjectInfo: " .. tostring(desc) .. " is not modelled", 2)
  end
  assert(type(value) == "number", "fake: GetSetProjectInfo: value must be a number")
  if is_set then
    state.settings[desc] = value
  end
  return state.settings[desc]
end

function api.GetSetProjectInfo_String(project, desc, valuestr, is_set)
  check_project(project)
  if not STRING_KEYS[desc] then
    error("fake: GetSetProjectInfo_String: " .. tostring(desc) .. " is not modelled", 2)
  end
  assert(type(valuestr) == "string", "fake: GetSetProjectInfo_String: value must be a string")
  if is_set then
    state.settings[desc] = valuestr
  end
  return true, state.settings[desc]
end

function api.Main_OnCommand(command, flag)
  record("Main_OnCommand", command, flag)
  if command ~= RENDER_COMMAND then
    error("fake: command " .. tostring(command) .. " is not modelled", 2)
  end
  render()
end

function api.SetEditCurPos(time, moveview, seekplay)
  record("SetEditCurPos", time, moveview, seekplay)
  state.cursor = time
end

function api.InsertMedia(file, mode)
  record("InsertMedia", file, mode)
  if mode ~= 0 and mode ~= 1 then
    error("fake: InsertMedia mode " .. tostring(mode) .. " is not modelled", 2)
  end
  local handle = io.open(file, "rb")
  if not handle then
    return 0
  end
  handle:close()
  if mode == 1 or #state.tracks == 0 then
    table.insert(state.tracks, { items = {} })
  end
  table.insert(state.tracks[#state.tracks].items, { position = state.cursor, file = file })
  return 1
end

function api.Undo_BeginBlock()
  record("Undo_BeginBlock")
end

function api.Undo_EndBlock(descchange, extraflags)
  record("Undo_EndBlock", descchange, extraflags)
end

function api.UpdateArrange()
  record("UpdateArrange")
end

function api.ShowMessageBox(msg, title, type_)
  record("ShowMessageBox", msg, title, type_)
  table.insert(state.messages, msg)
  return 1
end

function api.defer(callback)
  assert(type(callback) == "function", "fake: defer takes a function")
  table.insert(state.deferred, callback)
end

function api.time_precise()
  return state.clock
end

-- Make `reaper` the fake, for the project and user settings the scenario describes.
function fake.install(scenario)
  state = {
    current = PROJECT,
    switch_project = scenario.switch_project,
    bpm = scenario.bpm,
    beats_per_bar = scenario.beats_per_bar,
    denominator = scenario.denominator or 4,
    selection = scenario.selection or { 0, 0 },
    cursor = scenario.cursor or 0,
    settings = copy(scenario.settings),
    render_source = scenario.render_source,
    clock = scenario.clock,
    calls = {},
    renders = {},
    tracks = {},
    messages = {},
    deferred = {},
    ticks = 0,
  }
  reaper = api
end

-- Call the deferred functions as REAPER does until none is left (or `limit` seconds pass).
function fake.run(limit)
  local started = state.clock
  while #state.deferred > 0 do
    if state.clock - started > limit then
      error("fake: the script was still deferring after " .. limit .. " s")
    end
    os.execute(string.format("sleep %.3f", TICK))
    state.clock = state.clock + TICK
    state.ticks = state.ticks + 1
    local due = state.deferred
    state.deferred = {}
    for _, callback in ipairs(due) do
      callback()
    end
  end
end

local function json(value)
  local kind = type(value)
  if kind == "string" then
    return '"' .. value:gsub('[%c"\\]', function(char)
      return string.format("\\u%04x", char:byte())
    end) .. '"'
  elseif kind == "number" then
    return math.type(value) == "integer" and tostring(value) or string.format("%.17g", value)
  elseif kind == "boolean" then
    return tostring(value)
  elseif kind == "table" then
    local parts = {}
    if next(value) == nil or #value > 0 then
      for _, item in ipairs(value) do
        table.insert(parts, json(item))
      end
      return "[" .. table.concat(parts, ", ") .. "]"
    end
    for key, item in pairs(value) do
      table.insert(parts, json(tostring(key)) .. ": " .. json(item))
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  error("fake: cannot write " .. kind .. " as JSON")
end

-- What happened, as JSON: the calls, the renders, the settings now, tracks, messages.
function fake.record()
  return json({
    calls = state.calls,
    renders = state.renders,
    settings = state.settings,
    cursor = state.cursor,
    tracks = state.tracks,
    messages = state.messages,
    ticks = state.ticks,
  })
end

return fake
