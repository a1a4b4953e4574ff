ardour {
	["type"]    = "EditorAction",
	name        = "Segue: continue",
	license     = "MIT",
	author      = "Segue",
	description = [[Sends the selection (or the last bars before the playhead) to Segue's
engine through its watch folder and places the continuation on a new track, starting exactly
where the range ends. Needs `segue serve --watch ~/Segue/watch` running.]]
}

-- The settings Ardour asks for when the action is added (Edit > Lua Scripts > Script Manager).
function action_params ()
	return {
		["watch"]   = { title = "Segue watch folder (as given to segue serve --watch)", default = "~/Segue/watch" },
		["bars"]    = { title = "Bars before the playhead to send when nothing is selected", default = "4" },
		["length"]  = { title = "Bars to continue (empty: as many as were sent)", default = "" },
		["timeout"] = { title = "Seconds to wait for the continuation", default = "120" },
	}
end

-- Ardour keeps only this function (as byte code), so every helper lives inside it. In the
-- editor the action is called with no argument; tools that run it without the GUI (headless.lua,
-- the tests) pass a `host` table with the same fields as `editor_host` below.
function factory (params) return function (host)

	local settings = params or {}
	local WAV_AT_SESSION_RATE = "75969a1c-3133-4694-864b-a1fa50e43348" -- export/wav.preset
	local POLL_MICROSECONDS = 100000

	local function editor_host ()
		local dialog
		return {
			-- the time extents of the selected range(s) and region(s), if any
			selection = function ()
				local ok, extents = Editor:get_selection_extents (Temporal.timepos_t (0), Temporal.timepos_t (0))
				if ok and extents[1] < extents[2] then return extents[1]:samples (), extents[2]:samples () end
			end,
			playhead = function () return Session:transport_sample () end,
			progress = function (fraction, text)
				dialog = dialog or LuaDialog.ProgressWindow ("Segue", true)
				dialog:progress (fraction, text)
				return dialog:canceled ()
			end,
			finish = function ()
				if dialog then dialog:done () end
				dialog = nil
			end,
			tell = function (text)
				LuaDialog.Message ("Segue", text, LuaDialog.MessageType.Error, LuaDialog.ButtonType.Close):run ()
			end,
			import = function (file, position)
				local files = C.StringVector ()
				files:push_back (file)
				Editor:do_import (files, Editing.ImportDistinctFiles, Editing.ImportAsTrack,
					ARDOUR.SrcQuality.SrcBest, ARDOUR.MidiTrackNameSource.SMFTrackName,
					ARDOUR.MidiTempoMapDisposition.SMFTempoIgnore, Temporal.timepos_t (position),
					ARDOUR.PluginInfo (), ARDOUR.Track (), false)
			end,
		}
	end

	local function join (...) return ARDOUR.LuaAPI.build_filename (...) end
	local function exists (file) return ARDOUR.LuaAPI.file_test (file, ARDOUR.LuaAPI.FileTest.Exists) end
	local function number (value) return ARDOUR.LuaAPI.ascii_dtostr (value) end -- '.' in any locale

	local function setting (key, default_when_empty)
		local text = settings[key]
		if (text == nil or text == "") and default_when_empty then return default_when_empty end
		local value = tonumber (text)
		if not value or value <= 0 then
			error (string.format ("the setting '%s' must be a positive number, not '%s'", key, tostring (text)), 0)
		end
		return value
	end

	local function watch_folder ()
		local folder = settings["watch"]
		if folder == nil or folder == "" then error ("the setting 'watch' names no folder", 0) end
		local home = os.getenv ("HOME") or os.getenv ("USERPROFILE") or ""
		return (folder:gsub ("^~", function () return home end))
	end

	-- The tempo where the continuation starts, in the meter's own beats (eighths in 6/8), so that
	-- bars * beats_per_bar * 60 / bpm is the length of that many bars in seconds.
	local function tempo_at (sample)
		local map = Temporal.TempoMap.read ()
		local where = Temporal.timepos_t (sample)
		local meter = map:meter_at (where)
		return map:quarters_per_minute_at (where) * meter:note_value () / 4, meter:divisions_per_bar ()
	end

	local function bar_start (map, bar)
		return map:sample_at_beats (map:quarters_at_bbt (Temporal.BBT_TIME (bar, 1, 0)))
	end

	-- The range to send and its length in bars: the selection, or the whole bars before the
	-- bar the playhead is in (as many as asked for, fewer near the start of the session).
	local function find_range ()
		local first, last = host.selection ()
		if first then
			local bpm, beats_per_bar = tempo_at (last)
			local bar_seconds = beats_per_bar * 60 / bpm
			return first, last, (last - first) / Session:nominal_sample_rate () / bar_seconds
		end
		local wanted = setting ("bars")
		if wanted ~= math.floor (wanted) then
			error ("the setting 'bars' must be a whole number of bars", 0)
		end
		local map = Temporal.TempoMap.read ()
		local bar = map:bbt_at (Temporal.timepos_t (host.playhead ())).bars
		local bars = math.min (math.floor (wanted), bar - 1)
		if bars < 1 then
			error ("the playhead is in the first bar: select a range, or put the playhead after the bars to continue", 0)
		end
		return bar_start (map, bar - bars), bar_start (map, bar), bars
	end

	-- Ardour renders even an empty range (as dither noise, which Segue would continue): refuse it.
	local function check_not_empty (first, last)
		for route in Session:get_tracks ():iter () do
			local playlist = route:to_track ():playlist ()
			if not playlist:regions_touched (Temporal.timepos_t (first), Temporal.timepos_t (last)):empty () then
				return
			end
		end
		error ("there is nothing to send: no track has a region in the range", 0)
	end

	-- A name not used yet in the watch folder, so that no earlier answer is taken for this one.
	local function unique_name (watch)
		local base = "segue-" .. os.date ("%Y%m%d-%H%M%S")
		local name, count = base, 1
		local function taken ()
			for _, file in ipairs ({
				join (watch, "inbox", name .. ".wav"), join (watch, "inbox", name .. ".json"),
				join (watch, "outbox", name .. ".continuation.wav"),
				join (watch, "failed", name .. ".wav"), join (watch, "failed", name .. ".error.txt") }) do
				if exists (file) then return true end
			end
			return false
		end
		while taken () do
			count = count + 1
			name = base .. "-" .. count
		end
		return name
	end

	local function write_sidecar (file, bars, bpm, beats_per_bar)
		local out = assert (io.open (file, "w"))
		out:write (string.format ('{"bars": %s, "bpm": %s, "beats_per_bar": %d}\n',
			number (bars), number (bpm), beats_per_bar))
		out:close ()
	end

	-- Renders the range as Ardour plays it (the master bus) under a hidden name, which the engine
	-- ignores, then renames it into inbox/ so that the engine takes it whole, at once.
	local function export_range (inbox, name, first, last)
		local hidden = "." .. name
		local export = Session:simple_export ()
		export:set_name (hidden)
		export:set_folder (inbox)
		export:set_range (first, last)
		if not (export:set_preset (WAV_AT_SESSION_RATE) and export:check_outputs () and export:run_export ()) then
			error ("Ardour could not export the range (is the master bus connected?)", 0)
		end
		local ok, reason = os.rename (join (inbox, hidden .. ".wav"), join (inbox, name .. ".wav"))
		if not ok then error ("could not move the exported clip into " .. inbox .. ": " .. reason, 0) end
	end

	local function first_line (file)
		local input = io.open (file, "r")
		if not input then return "unknown reason" end
		local line = input:read ("l") or "unknown reason"
		input:close ()
		return line
	end

	-- Waits for outbox/<name>.continuation.wav (complete once it exists) or failed/<name>.error.txt.
	local function wait_for (watch, name, timeout)
		local output = join (watch, "outbox", name .. ".continuation.wav")
		local failure = join (watch, "failed", name .. ".error.txt")
		local started = ARDOUR.LuaAPI.monotonic_time ()
		while not exists (output) do
			if exists (failure) then
				error ("Segue could not continue the clip: " .. first_line (failure), 0)
			end
			local waited = (ARDOUR.LuaAPI.monotonic_time () - started) / 1e6
			if waited > timeout then
				error (string.format ("no continuation after %s s: is `segue serve --watch %s` running? "
					.. "The clip waits in inbox/; its continuation will be %s", number (timeout), watch, output), 0)
			end
			if host.progress (waited / timeout, "Segue is continuing " .. name) then
				error ("cancelled: the continuation will still appear as " .. output, 0)
			end
			ARDOUR.LuaAPI.usleep (POLL_MICROSECONDS)
		end
		return output
	end

	local function continue_range ()
		local watch = watch_folder ()
		local inbox = join (watch, "inbox")
		if not ARDOUR.LuaAPI.file_test (inbox, ARDOUR.LuaAPI.FileTest.IsDir) then
			error ("no watch folder at " .. watch .. ": start `segue serve --watch " .. watch .. "` first", 0)
		end
		local first, last, sent_bars = find_range ()
		check_not_empty (first, last)
		local bars = setting ("length", sent_bars)
		local bpm, beats_per_bar = tempo_at (last)
		local name = unique_name (watch)
		write_sidecar (join (inbox, name .. ".json"), bars, bpm, beats_per_bar)
		export_range (inbox, name, first, last)
		local output = wait_for (watch, name, setting ("timeout"))
		host.finish ()
		host.import (output, last)
	end

	host = host or editor_host ()
	local ok, problem = pcall (continue_range)
	host.finish ()
	if not ok then host.tell (tostring (problem)) end

end end
