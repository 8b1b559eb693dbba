"""The registry of graded exercises: one module per exercise notebook, each defining `EXERCISE`.

    ex01_windows   01_windows_and_parameters: fixed windows, bags of words, parameter counts

A module here holds the reference answers and the checks of its tasks, imports only NumPy at
module level (torch lazily, inside a check), and is found by course_lib.grading.registry
without being listed anywhere else. See course_lib.grading for how to add one.
"""
