"""The load test (issue 7, item 15): `make load`, `python -m bench.load.run`."""
