{
	"patcher": {
		"fileversion": 1,
		"appversion": {
			"major": 8,
			"minor": 6,
			"revision": 2,
			"architecture": "x64",
			"modernui": 1
		},
		"classnamespace": "box",
		"rect": [100.0, 100.0, 1280.0, 760.0],
		"openinpresentation": 1,
		"default_fontsize": 12.0,
		"default_fontface": 0,
		"default_fontname": "Arial",
		"gridonopen": 1,
		"gridsize": [15.0, 15.0],
		"gridsnaponopen": 1,
		"toolbarvisible": 1,
		"devicewidth": 640.0,
		"description": "Segue: sends the exported clip to segue serve over OSC and shows the reply",
		"digest": "Play me what comes next",
		"tags": "segue osc",
		"boxes": [
			{
				"box": {
					"fontface": 1,
					"id": "obj-1",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [30.0, 10.0, 420.0, 20.0],
					"presentation": 1,
					"presentation_rect": [4.0, 2.0, 420.0, 20.0],
					"text": "Segue: play me what comes next (segue serve on 127.0.0.1:9000)"
				}
			},
			{
				"box": {
					"id": "obj-2",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [30.0, 32.0, 560.0, 20.0],
					"text": "Export the last bars, drop the file below, set bars, press Continue. Replies come back on UDP port 9001."
				}
			},
			{
				"box": {
					"id": "obj-3",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [30.0, 60.0, 400.0, 20.0],
					"presentation": 1,
					"presentation_rect": [4.0, 22.0, 330.0, 20.0],
					"text": "1. the exported clip (drop it, or type its absolute path + Return)"
				}
			},
			{
				"box": {
					"id": "obj-4",
					"keymode": 1,
					"lines": 1,
					"maxclass": "textedit",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": ["", "int", "", ""],
					"parameter_enable": 0,
					"patching_rect": [30.0, 82.0, 330.0, 22.0],
					"presentation": 1,
					"presentation_rect": [4.0, 42.0, 330.0, 22.0],
					"text": ""
				}
			},
			{
				"box": {
					"id": "obj-5",
					"maxclass": "dropfile",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"patching_rect": [370.0, 82.0, 150.0, 22.0],
					"presentation": 1,
					"presentation_rect": [4.0, 66.0, 150.0, 22.0],
					"types": []
				}
			},
			{
				"box": {
					"id": "obj-6",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [370.0, 106.0, 180.0, 20.0],
					"presentation": 1,
					"presentation_rect": [158.0, 68.0, 180.0, 20.0],
					"text": "< drop the exported clip here"
				}
			},
			{
				"box": {
					"id": "obj-7",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"patching_rect": [30.0, 112.0, 70.0, 22.0],
					"text": "route text"
				}
			},
			{
				"box": {
					"id": "obj-8",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [30.0, 140.0, 60.0, 22.0],
					"text": "tosymbol"
				}
			},
			{
				"box": {
					"id": "obj-9",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", "int"],
					"patching_rect": [370.0, 132.0, 150.0, 22.0],
					"text": "conformpath native boot"
				}
			},
			{
				"box": {
					"id": "obj-10",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [530.0, 132.0, 80.0, 22.0],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-11",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [30.0, 176.0, 50.0, 20.0],
					"presentation": 1,
					"presentation_rect": [344.0, 22.0, 50.0, 20.0],
					"text": "bars"
				}
			},
			{
				"box": {
					"id": "obj-12",
					"maxclass": "number",
					"maximum": 64,
					"minimum": 1,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", "bang"],
					"parameter_enable": 0,
					"patching_rect": [30.0, 220.0, 50.0, 22.0],
					"presentation": 1,
					"presentation_rect": [344.0, 42.0, 50.0, 22.0]
				}
			},
			{
				"box": {
					"id": "obj-13",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [30.0, 196.0, 70.0, 22.0],
					"text": "loadmess 4"
				}
			},
			{
				"box": {
					"id": "obj-14",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [110.0, 176.0, 70.0, 20.0],
					"presentation": 1,
					"presentation_rect": [400.0, 22.0, 70.0, 20.0],
					"text": "variations"
				}
			},
			{
				"box": {
					"id": "obj-15",
					"maxclass": "number",
					"maximum": 16,
					"minimum": 1,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", "bang"],
					"parameter_enable": 0,
					"patching_rect": [110.0, 220.0, 50.0, 22.0],
					"presentation": 1,
					"presentation_rect": [400.0, 42.0, 50.0, 22.0]
				}
			},
			{
				"box": {
					"id": "obj-16",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [110.0, 196.0, 70.0, 22.0],
					"text": "loadmess 1"
				}
			},
			{
				"box": {
					"id": "obj-17",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [190.0, 176.0, 110.0, 20.0],
					"presentation": 1,
					"presentation_rect": [470.0, 22.0, 110.0, 20.0],
					"text": "bpm (of the beat)"
				}
			},
			{
				"box": {
					"id": "obj-18",
					"maxclass": "flonum",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", "bang"],
					"parameter_enable": 0,
					"patching_rect": [190.0, 220.0, 60.0, 22.0],
					"presentation": 1,
					"presentation_rect": [470.0, 42.0, 60.0, 22.0]
				}
			},
			{
				"box": {
					"id": "obj-19",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [190.0, 196.0, 90.0, 22.0],
					"text": "loadmess 120."
				}
			},
			{
				"box": {
					"id": "obj-20",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [300.0, 176.0, 90.0, 20.0],
					"presentation": 1,
					"presentation_rect": [540.0, 22.0, 90.0, 20.0],
					"text": "beats per bar"
				}
			},
			{
				"box": {
					"id": "obj-21",
					"maxclass": "number",
					"maximum": 32,
					"minimum": 1,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", "bang"],
					"parameter_enable": 0,
					"patching_rect": [300.0, 220.0, 50.0, 22.0],
					"presentation": 1,
					"presentation_rect": [540.0, 42.0, 50.0, 22.0]
				}
			},
			{
				"box": {
					"id": "obj-22",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [300.0, 196.0, 70.0, 22.0],
					"text": "loadmess 4"
				}
			},
			{
				"box": {
					"id": "obj-23",
					"maxclass": "toggle",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": ["int"],
					"parameter_enable": 0,
					"patching_rect": [420.0, 196.0, 20.0, 20.0],
					"presentation": 1,
					"presentation_rect": [344.0, 68.0, 20.0, 20.0]
				}
			},
			{
				"box": {
					"id": "obj-24",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [444.0, 196.0, 360.0, 20.0],
					"presentation": 1,
					"presentation_rect": [366.0, 68.0, 270.0, 20.0],
					"text": "take bpm and beats per bar from Live's tempo and time signature"
				}
			},
			{
				"box": {
					"id": "obj-25",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [420.0, 172.0, 70.0, 22.0],
					"text": "loadmess 1"
				}
			},
			{
				"box": {
					"id": "obj-26",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"parameter_enable": 1,
					"patching_rect": [30.0, 270.0, 90.0, 24.0],
					"presentation": 1,
					"presentation_rect": [4.0, 92.0, 100.0, 24.0],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": ["val1", "val2"],
							"parameter_longname": "Segue Continue",
							"parameter_mmax": 1,
							"parameter_shortname": "Continue",
							"parameter_type": 2
						}
					},
					"text": "Continue",
					"texton": "Continue",
					"varname": "Continue"
				}
			},
			{
				"box": {
					"id": "obj-27",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"parameter_enable": 1,
					"patching_rect": [560.0, 270.0, 60.0, 24.0],
					"presentation": 1,
					"presentation_rect": [110.0, 92.0, 60.0, 24.0],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": ["val1", "val2"],
							"parameter_longname": "Segue Cancel",
							"parameter_mmax": 1,
							"parameter_shortname": "Cancel",
							"parameter_type": 2
						}
					},
					"text": "Cancel",
					"texton": "Cancel",
					"varname": "Cancel"
				}
			},
			{
				"box": {
					"id": "obj-28",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"parameter_enable": 1,
					"patching_rect": [700.0, 270.0, 50.0, 24.0],
					"presentation": 1,
					"presentation_rect": [176.0, 92.0, 50.0, 24.0],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": ["val1", "val2"],
							"parameter_longname": "Segue Ping",
							"parameter_mmax": 1,
							"parameter_shortname": "Ping",
							"parameter_type": 2
						}
					},
					"text": "Ping",
					"texton": "Ping",
					"varname": "Ping"
				}
			},
			{
				"box": {
					"id": "obj-29",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"parameter_enable": 1,
					"patching_rect": [820.0, 270.0, 60.0, 24.0],
					"presentation": 1,
					"presentation_rect": [232.0, 92.0, 60.0, 24.0],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": ["val1", "val2"],
							"parameter_longname": "Segue Status",
							"parameter_mmax": 1,
							"parameter_shortname": "Status",
							"parameter_type": 2
						}
					},
					"text": "Status",
					"texton": "Status",
					"varname": "Status"
				}
			},
			{
				"box": {
					"id": "obj-30",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [870.0, 560.0, 60.0, 20.0],
					"presentation": 1,
					"presentation_rect": [344.0, 94.0, 60.0, 20.0],
					"text": "progress"
				}
			},
			{
				"box": {
					"id": "obj-31",
					"maxclass": "flonum",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["", "bang"],
					"parameter_enable": 0,
					"patching_rect": [870.0, 582.0, 60.0, 22.0],
					"presentation": 1,
					"presentation_rect": [404.0, 94.0, 60.0, 22.0]
				}
			},
			{
				"box": {
					"id": "obj-32",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [700.0, 640.0, 560.0, 22.0],
					"presentation": 1,
					"presentation_rect": [4.0, 120.0, 630.0, 22.0],
					"text": ""
				}
			},
			{
				"box": {
					"id": "obj-33",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [30.0, 668.0, 420.0, 20.0],
					"text": "the continuation (written next to the clip; also in the Max Console):"
				}
			},
			{
				"box": {
					"id": "obj-34",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [30.0, 690.0, 560.0, 22.0],
					"presentation": 1,
					"presentation_rect": [4.0, 144.0, 630.0, 22.0],
					"text": ""
				}
			},
			{
				"box": {
					"id": "obj-35",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": ["bang", "bang", "bang"],
					"patching_rect": [30.0, 302.0, 100.0, 22.0],
					"text": "t b b b"
				}
			},
			{
				"box": {
					"id": "obj-36",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [300.0, 332.0, 60.0, 22.0],
					"text": "gate 1 1"
				}
			},
			{
				"box": {
					"id": "obj-37",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 9,
					"outlettype": ["int", "int", "float", "float", "float", "", "int", "float", ""],
					"patching_rect": [300.0, 362.0, 200.0, 22.0],
					"text": "transport"
				}
			},
			{
				"box": {
					"id": "obj-38",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["int", "int"],
					"patching_rect": [380.0, 392.0, 70.0, 22.0],
					"text": "unpack 0 0"
				}
			},
			{
				"box": {
					"id": "obj-39",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": ["float"],
					"patching_rect": [420.0, 422.0, 40.0, 22.0],
					"text": "/ 4."
				}
			},
			{
				"box": {
					"id": "obj-40",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": ["float"],
					"patching_rect": [300.0, 452.0, 40.0, 22.0],
					"text": "* 1."
				}
			},
			{
				"box": {
					"id": "obj-41",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [120.0, 332.0, 200.0, 22.0],
					"text": "set sent: waiting for segue serve"
				}
			},
			{
				"box": {
					"id": "obj-42",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": ["int"],
					"patching_rect": [30.0, 362.0, 40.0, 22.0],
					"text": "i 1"
				}
			},
			{
				"box": {
					"id": "obj-43",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": ["int", "int", "int"],
					"patching_rect": [30.0, 392.0, 70.0, 22.0],
					"text": "t i i i"
				}
			},
			{
				"box": {
					"id": "obj-44",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": ["int"],
					"patching_rect": [110.0, 422.0, 40.0, 22.0],
					"text": "+ 1"
				}
			},
			{
				"box": {
					"id": "obj-45",
					"maxclass": "newobj",
					"numinlets": 6,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [30.0, 500.0, 330.0, 22.0],
					"text": "pack 0 s 0 0. 0 0"
				}
			},
			{
				"box": {
					"id": "obj-46",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [30.0, 530.0, 520.0, 22.0],
					"text": "/segue/continue $1 $2 bars $3 bpm $4 beats_per_bar $5 variations $6 reply_port 9001"
				}
			},
			{
				"box": {
					"id": "obj-47",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": ["int"],
					"patching_rect": [560.0, 422.0, 40.0, 22.0],
					"text": "i"
				}
			},
			{
				"box": {
					"id": "obj-48",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [560.0, 452.0, 200.0, 22.0],
					"text": "/segue/cancel $1 reply_port 9001"
				}
			},
			{
				"box": {
					"id": "obj-49",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [700.0, 302.0, 170.0, 22.0],
					"text": "/segue/ping reply_port 9001"
				}
			},
			{
				"box": {
					"id": "obj-50",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [820.0, 332.0, 180.0, 22.0],
					"text": "/segue/status reply_port 9001"
				}
			},
			{
				"box": {
					"id": "obj-51",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [300.0, 580.0, 150.0, 22.0],
					"text": "udpsend 127.0.0.1 9000"
				}
			},
			{
				"box": {
					"id": "obj-52",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [700.0, 480.0, 100.0, 22.0],
					"text": "udpreceive 9001"
				}
			},
			{
				"box": {
					"id": "obj-53",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 6,
					"outlettype": ["", "", "", "", "", ""],
					"patching_rect": [700.0, 510.0, 470.0, 22.0],
					"text": "route /segue/done /segue/error /segue/progress /segue/pong /segue/status"
				}
			},
			{
				"box": {
					"id": "obj-54",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"patching_rect": [700.0, 540.0, 70.0, 22.0],
					"text": "zl slice 1"
				}
			},
			{
				"box": {
					"id": "obj-55",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": ["bang", ""],
					"patching_rect": [700.0, 570.0, 50.0, 22.0],
					"text": "t b l"
				}
			},
			{
				"box": {
					"id": "obj-56",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [600.0, 610.0, 220.0, 22.0],
					"text": "set done: the continuation is below"
				}
			},
			{
				"box": {
					"id": "obj-57",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [30.0, 640.0, 80.0, 22.0],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-58",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"patching_rect": [790.0, 540.0, 70.0, 22.0],
					"text": "zl slice 1"
				}
			},
			{
				"box": {
					"id": "obj-59",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [790.0, 600.0, 120.0, 22.0],
					"text": "prepend set error:"
				}
			},
			{
				"box": {
					"id": "obj-60",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": ["", ""],
					"patching_rect": [870.0, 540.0, 70.0, 22.0],
					"text": "zl slice 1"
				}
			},
			{
				"box": {
					"id": "obj-61",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [""],
					"patching_rect": [950.0, 570.0, 190.0, 22.0],
					"text": "prepend set engine ready: segue"
				}
			},
			{
				"box": {
					"id": "obj-62",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [1150.0, 570.0, 80.0, 22.0],
					"text": "print segue"
				}
			},
			{
				"box": {
					"id": "obj-63",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": ["signal", "signal"],
					"patching_rect": [1100.0, 60.0, 60.0, 22.0],
					"text": "plugin~"
				}
			},
			{
				"box": {
					"id": "obj-64",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": ["signal", "signal"],
					"patching_rect": [1100.0, 120.0, 60.0, 22.0],
					"text": "plugout~"
				}
			}
		],
		"lines": [
			{
				"patchline": {
					"destination": ["obj-7", 0],
					"source": ["obj-4", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-8", 0],
					"source": ["obj-7", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-45", 1],
					"source": ["obj-8", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-9", 0],
					"source": ["obj-5", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-45", 1],
					"source": ["obj-9", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-10", 0],
					"source": ["obj-9", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-4", 0],
					"source": ["obj-10", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-12", 0],
					"source": ["obj-13", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-15", 0],
					"source": ["obj-16", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-18", 0],
					"source": ["obj-19", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-21", 0],
					"source": ["obj-22", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-23", 0],
					"source": ["obj-25", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-45", 2],
					"source": ["obj-12", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-45", 3],
					"source": ["obj-18", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-45", 4],
					"source": ["obj-21", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-45", 5],
					"source": ["obj-15", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-35", 0],
					"source": ["obj-26", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-36", 1],
					"source": ["obj-35", 2]
				}
			},
			{
				"patchline": {
					"destination": ["obj-36", 0],
					"source": ["obj-23", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-37", 0],
					"source": ["obj-36", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-40", 0],
					"source": ["obj-37", 4]
				}
			},
			{
				"patchline": {
					"destination": ["obj-38", 0],
					"source": ["obj-37", 5]
				}
			},
			{
				"patchline": {
					"destination": ["obj-39", 0],
					"source": ["obj-38", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-40", 1],
					"source": ["obj-39", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-21", 0],
					"source": ["obj-38", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-18", 0],
					"source": ["obj-40", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-41", 0],
					"source": ["obj-35", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-32", 0],
					"source": ["obj-41", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-42", 0],
					"source": ["obj-35", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-43", 0],
					"source": ["obj-42", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-44", 0],
					"source": ["obj-43", 2]
				}
			},
			{
				"patchline": {
					"destination": ["obj-42", 1],
					"source": ["obj-44", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-47", 1],
					"source": ["obj-43", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-45", 0],
					"source": ["obj-43", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-46", 0],
					"source": ["obj-45", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-51", 0],
					"source": ["obj-46", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-47", 0],
					"source": ["obj-27", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-48", 0],
					"source": ["obj-47", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-51", 0],
					"source": ["obj-48", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-49", 0],
					"source": ["obj-28", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-51", 0],
					"source": ["obj-49", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-50", 0],
					"source": ["obj-29", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-51", 0],
					"source": ["obj-50", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-53", 0],
					"source": ["obj-52", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-54", 0],
					"source": ["obj-53", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-55", 0],
					"source": ["obj-54", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-57", 0],
					"source": ["obj-55", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-62", 0],
					"source": ["obj-55", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-34", 0],
					"source": ["obj-57", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-56", 0],
					"source": ["obj-55", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-32", 0],
					"source": ["obj-56", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-58", 0],
					"source": ["obj-53", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-59", 0],
					"source": ["obj-58", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-32", 0],
					"source": ["obj-59", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-60", 0],
					"source": ["obj-53", 2]
				}
			},
			{
				"patchline": {
					"destination": ["obj-31", 0],
					"source": ["obj-60", 1]
				}
			},
			{
				"patchline": {
					"destination": ["obj-61", 0],
					"source": ["obj-53", 3]
				}
			},
			{
				"patchline": {
					"destination": ["obj-32", 0],
					"source": ["obj-61", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-62", 0],
					"source": ["obj-53", 4]
				}
			},
			{
				"patchline": {
					"destination": ["obj-62", 0],
					"source": ["obj-53", 5]
				}
			},
			{
				"patchline": {
					"destination": ["obj-64", 0],
					"source": ["obj-63", 0]
				}
			},
			{
				"patchline": {
					"destination": ["obj-64", 1],
					"source": ["obj-63", 1]
				}
			}
		]
	}
}
