"""The course's graded exercises: generator, registry of checks, and a local autograder.

Students:
    python -m course_lib.grading exercises/01_windows_and_parameters.ipynb [--json FILE] [--timeout SECONDS]
    (or `make grade NB=...`) prints, per task, points earned / available, a verdict (passed, failed,
    not implemented, error, timed out, crashed) and feedback, then the total. Exit status 0 whenever
    grading completed, 2 for a usage error.

How grading works (runner.py, _worker.py, remote.py, sandbox.py, wire.py):
    The notebook is read as JSON and never written. The grader imports the exercise's checks before any
    student code exists, then starts one process for the notebook, in its own session, with a copy of
    course_lib from which the course's own answers are removed (sandbox) and an audit hook that refuses
    to read the real sources or solutions/ and to start programs. That process runs the code cells once,
    top to bottom; at each task's graded cell it forks a copy that keeps the namespace as it is there and
    answers that task's calls. The checks run in the grader's process (two at a time): they call the
    notebook's functions through proxies on inputs drawn from a generator seeded by the check's name, get
    back data (arrays, tensors, numbers; never a verdict) and compare it with the references there. Each
    cell and each check has a time limit (an alarm that `except Exception` cannot swallow, backed by the
    grader killing the process), the address space is capped so that a huge allocation raises
    MemoryError, and exit(), os._exit(), crashes and hangs each become a verdict for the task they hit.
    Every process of a grading, also one that left the session, is killed when grading ends. The
    notebook's own test cells are never run by the grader: the registry's checks are the truth.

Modules:
    registry     Task and Exercise; finds every exercise module in course_lib.grading.exercises
    compare      feedback helpers for checks: array_mismatch, int_mismatch, call, fail_if, check_rng, ...
    compare_torch  the same for tensors: invoke, tensor_mismatch, backward_through, grad_mismatch
    own_forward  a backward pass graded on its own when the student's forward is wrong
    notebook     reading a student's notebook; which exercise it is (metadata, else file name)
    runner       grade_notebook(path, timeout) -> GradeReport (the processes, limits and verdicts)
    remote, wire the grader's proxies for the notebook's objects, and the data that passes between them
    sandbox      the notebook's course_lib without the answers, and the audit hook
    _worker      the notebook's process: runs the cells, forks a server per task, answers calls
    cli          the command line; __main__ runs it
    generate     exercises from solutions: stubs, hidden tests removed, outputs cleared, edit hashes
    exercises/   one module per exercise notebook: reference answers and checks

Adding an exercise NN (one registry module and one solution notebook):
1. Write course_lib/grading/exercises/exNN_topic.py with reference answers, one check per task
   (takes the student's objects in the order of `needs`; returns None when right, raises
   AssertionError via compare's helpers otherwise; inputs from compare.check_rng("<module>.<check>"),
   on fixed sizes unlike the notebook's examples and each other, with N = 1, T = 1, D = 1, H = 1 among
   them; call the student's functions only through compare.call / compare_torch.invoke), and
       EXERCISE = Exercise("NN_topic", title, tasks=(Task(grade_id, points, needs, check, title), ...),
                           forbidden={grade_id: ("course_lib.<the course's implementation>", ...)})
   plus STUDENT_HELPERS, the names of the module a notebook may use while graded (the sandbox removes
   every other function of the module from the notebook's copy).
   Import only NumPy at module level: the notebooks import this module, and so does every grading process.
2. Write solutions/NN_topic.ipynb: a markdown cell before every code cell; solution code between
   `### BEGIN SOLUTION` and `### END SOLUTION` (optionally preceded by `# HINT: one line`) in cells
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
