"""The grading suites: visible functional checks and hidden stress checks, one file per exercise."""
