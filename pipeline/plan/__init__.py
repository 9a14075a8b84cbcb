"""The plan: live cards against rendered ones, whose card it is, the plan file, publishing, and
the reports of it all. It imports the Hub, the card and the manifest; never the command line."""
