"""The system under test: interpreters, the SUT venv, owned child processes,
ports, a private Redis, the chat project's database and server processes, and
the one ``prepare()`` that ``run`` and ``load`` share."""
