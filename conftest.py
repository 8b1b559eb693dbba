"""Root pytest configuration: how nbval compares stored notebook outputs (see README)."""


def pytest_collectstart(collector):
    # Warnings and progress bars go to stderr and vary between machines: never compare stderr.
    if collector.path.suffix == ".ipynb" and hasattr(collector, "skip_compare"):
        if "stderr" not in collector.skip_compare:
            collector.skip_compare = (*collector.skip_compare, "stderr")
