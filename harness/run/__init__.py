"""Driving and judging a live server: the delivery session, the rooms checks,
the pytest bridge, the runner of one env, and the verdict."""
