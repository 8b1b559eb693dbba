"""The course's graded exercises: generator, registry of checks, and a local autograder.

Students:
    python -m course_lib.grading exercises/01_windows_and_parameters.ipynb [--json FILE] [--timeout SECONDS]
    (or `make grade NB=...`) prints, per task, points earned / available, a verdict (passed, failed,
    not implemented, error, timed out, crashed) and feedback, then the total. Exit status 0 whenever
    grading completed, 2 for a usage error.

How grading works (runner.py, _worker.py):
    The notebook is read as JSON and never written. Its code cells run in separate processes, never
    in the grader's: first one "probe" run, top to bottom, then one fresh process per task (two at
    a time) that runs the cells up to that task's test cell and then the task's check from the
    registry. Each cell and each check has a time limit (an alarm that `except Exception` cannot
    swallow, backed by the parent killing the process group), the address space is capped so that a
    huge allocation raises MemoryError, and exit(), os._exit(), crashes and hangs each become a
    verdict for the task they hit while the other tasks are still graded. The notebook's own test
    cells are never run: a student can edit them; the registry's checks are the truth.

Modules:
    registry     Task and Exercise; finds every exercise module in course_lib.grading.exercises
    compare      feedback helpers for checks: array_mismatch, int_mismatch, call, fail_if, ...
    notebook     reading a student's notebook; which exercise it is (metadata, else file name)
    runner       grade_notebook(path, timeout) -> GradeReport (the processes, limits and verdicts)
    cli          the command line; __main__ runs it
    generate     exercises from solutions: stubs, hidden tests removed, outputs cleared, edit hashes
    exercises/   one module per exercise notebook: reference answers and checks

Adding an exercise NN (one registry module and one solution notebook):
1. Write course_lib/grading/exercises/exNN_topic.py with reference answers, one check per task
   (takes the student's objects in the order of `needs`; returns None when right, raises
   AssertionError via compare's helpers otherwise; fresh random inputs from
   np.random.default_rng(), plus the edge cases such as T = 1 and N = 1), and
       EXERCISE = Exercise("NN_topic", title, tasks=(Task(grade_id, points, needs, check, title), ...))
   Import only NumPy at module level: the notebooks import this module, and so does every grading process.
2. Write solutions/NN_topic.ipynb: a markdown cell before every code cell; solution code between
   `### BEGIN SOLUTION` and `### END SOLUTION` (optionally starting with `# HINT: one line`) in cells
   with nbgrader metadata {"grade": false, "solution": true, "locked": false, "grade_id": "<task>_solution",
   "schema_version": 3}; after each task a test cell calling the registry's check, e.g.
   `exNN_topic.check_<task>(<names>)`, with {"grade": true, "solution": false, "locked": true,
   "grade_id": "<task>", "points": <the registry's points>, "schema_version": 3}. Put anything slow
   that no task needs (importing torch only to compare, say) after the last test cell: grading
   never runs cells beyond it.
3. `make execute NB=solutions/NN_topic.ipynb`, then `make exercises`, and commit all three files.
   tests/grading checks the metadata against the registry for every exercise; add a test that a
   half-done variant of the new exercise gets its expected partial score.
"""
