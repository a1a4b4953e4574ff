-- Runs Segue's Ardour action without the GUI, in Ardour's headless Lua host (Dummy backend):
--
--   ardour7-lua headless.lua create   DIR NAME RATE BPM BEATS_PER_BAR
--   ardour7-lua headless.lua place    DIR NAME REGION TRACK SAMPLE
--   ardour7-lua headless.lua continue DIR NAME PLAYHEAD FIRST-LAST|none [SETTING=VALUE]...
--   ardour7-lua headless.lua list     DIR NAME
--
-- `continue` runs segue_continue.lua itself (the same code the editor runs) with a host that
-- takes the playhead and the selected range (in samples) from the command line, and the action's
-- settings (watch, bars, length, timeout: see its action_params) as SETTING=VALUE. The one
-- thing it cannot do is the import: Ardour 7's Lua has no headless call that makes a region
-- from a file (the editor's Editor:do_import needs the GUI). So it prints the file and the
-- position instead, a program adds the file to the saved session as a whole-file region (the
-- .ardour XML), and `place` then puts a copy of that region on a new track at that position,
-- as the editor's import would.
--
-- Lines meant for the caller start with "segue:"; ardour7-lua prints its own noise around them.
-- Ardour keeps one session per process: run one command per process, each under `timeout`.

local command = arg[1]
local here = debug.getinfo (1, "S").source:match ("^@(.*)[/\\]") or "."

-- One line of tab-separated fields (Ardour's print() separates its arguments with spaces).
local function say (...)
	local fields = { "segue:" }
	for _, value in ipairs ({ ... }) do fields[#fields + 1] = tostring (value) end
	print (table.concat (fields, "\t"))
end

local function close ()
	AudioEngine:stop (false)
	close_session ()
end

local function save () Session:save_state ("", false, false, false, false, false) end

local function track_named (name)
	for route in Session:get_tracks ():iter () do
		if route:name () == name then return route:to_track () end
	end
	local track = Session:new_audio_track (2, 2, nil, 1, name, ARDOUR.PresentationInfo.max_order,
		ARDOUR.TrackMode.Normal, true):front ()
	-- The editor connects a new track to the master bus; the headless host leaves that undone.
	local outputs, master = track:output (), Session:master_out ():input ()
	for n = 0, outputs:n_ports ():n_audio () - 1 do
		outputs:audio (n):connect (master:audio (n):name ())
	end
	return track
end

local function whole_file_region (name)
	for _, region in ARDOUR.RegionFactory.regions ():iter () do
		if region:name () == name and region:whole_file () then return region end
	end
	error ("no whole-file region named " .. name .. " in the session")
end

local commands = {}

function commands.create (dir, name, rate, bpm, beats_per_bar)
	assert (create_session (dir, name, tonumber (rate)), "could not create the session")
	local map = Temporal.TempoMap.fetch_writable ()
	map:set_tempo (Temporal.Tempo (tonumber (bpm), tonumber (bpm), 4), Temporal.timepos_t (0))
	map:set_meter (Temporal.Meter (tonumber (beats_per_bar), 4), Temporal.timepos_t (0))
	Temporal.TempoMap.update (map)
	save ()
end

function commands.place (dir, name, region_name, track_name, sample)
	assert (load_session (dir, name), "could not load the session")
	local copy = ARDOUR.RegionFactory.clone_region (whole_file_region (region_name), true, false)
	track_named (track_name):playlist ():add_region (copy, Temporal.timepos_t (tonumber (sample)), 1, false)
	save ()
end

function commands.continue (dir, name, playhead, selection, ...)
	assert (load_session (dir, name), "could not load the session")
	function ardour () end -- the action's descriptor: only the editor reads it
	dofile (here .. "/segue_continue.lua")
	-- As the editor does: the settings' defaults, changed where the user said so; then the
	-- factory alone, as byte code without upvalues, given the settings.
	local settings = {}
	for key, param in pairs (action_params ()) do settings[key] = param.default end
	for _, setting in ipairs ({ ... }) do
		local key, value = setting:match ("^([%w_]+)=(.*)$")
		assert (settings[key], "settings look like key=value, with a key from action_params")
		settings[key] = value
	end
	local action = load (string.dump (factory, true), nil, nil, _ENV) (settings)
	local first, last = selection:match ("^(%d+)-(%d+)$")
	action ({
		selection = function ()
			if first then return tonumber (first), tonumber (last) end
		end,
		playhead = function () return tonumber (playhead) end,
		progress = function () return false end,
		finish = function () end,
		tell = function (text) say ("tell", text) end,
		import = function (file, position) say ("import", position, file) end,
	})
end

function commands.list (dir, name)
	assert (load_session (dir, name), "could not load the session")
	for route in Session:get_tracks ():iter () do
		for region in route:to_track ():playlist ():region_list ():iter () do
			local peak = region:to_audioregion ():maximum_amplitude (nil)
			say ("region", route:name (), region:position ():samples (), region:length ():samples (), peak)
		end
	end
end

local run = commands[command]
if not run then
	error ("usage: ardour7-lua headless.lua create|place|continue|list DIR NAME ...")
end
run (table.unpack (arg, 2))
say ("ok") -- the command's work is done (and saved, where it saves); Ardour's teardown follows
close ()
quit ()
