"""One module per scenario, `s<N>_<name>.py`, each with `run(ctx: Context) -> list[Row]`."""
