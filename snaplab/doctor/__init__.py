"""`snaplab doctor`: is this host fit for a class? Checks as data, run in order."""
