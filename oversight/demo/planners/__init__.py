"""One planner per case type: each turns its data (oversight/demo/data/) into dated
commands on the shared plan (oversight/demo/schedule.py), drawing from the shared random
source in a fixed order, so the same seed gives the same commands."""
