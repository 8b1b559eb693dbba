"""Gradient checking and tolerances: the independent references every implementation is tested against."""

from course_lib.check.gradcheck import VJPCheck, check_vjp, numerical_gradient, rel_error
from course_lib.check.tolerances import (
    FD_EPS,
    FD_MAX_REL_ERROR,
    TORCH_FLOAT64,
    Tol,
    forward_tol,
    gradient_tol,
)
