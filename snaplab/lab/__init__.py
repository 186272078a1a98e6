"""Labs as data, the evidence they are graded on, and the grader that runs the checks."""
