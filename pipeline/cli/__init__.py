"""The command line: the command table, the options records, the handlers and the terminal.

The top of the house: it imports the plan, the Hub, the card and the manifest; nothing imports it
but `pipeline.__main__` and the `nb-release` entry point (`pipeline.cli.main:main`).
"""
