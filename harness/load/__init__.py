"""Load tests with Locust: options, the generated population, the client and
tracker that run inside Locust, stats, capacity steps, generator CPU, runs."""
