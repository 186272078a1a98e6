"""Class grading: a roster of learners, the shared classroom host, the gradebook."""
