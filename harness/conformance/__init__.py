"""Protocol conformance per server: Autobahn|Testsuite's fuzzing client driven
against each chat server's echo endpoint, once per server (not per layer)."""
