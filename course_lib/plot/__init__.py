"""Plot helpers the notebooks share. They take arrays and return matplotlib Axes; none calls show().

    plot_loss_curves(history)           train/val loss per epoch (from a History or arrays)
    plot_grad_norms(norms)              ‖∂L/∂h_t‖ against t, log scale
    plot_hidden_trajectory(states)      h_t over time in the plane of its 2 principal components
    plot_forecast(actual, forecast)     a series and forecasts of its continuation
    plot_gate_heatmap(values, tokens)   one gate's activations, T×H, tokens on the time axis
    plot_gates({name: values}, tokens)  several gates stacked
    plot_confusion_matrix(matrix)       with confusion_matrix(y_true, y_pred)

Importing this package imports matplotlib; nothing else in course_lib does.
"""

from course_lib.plot.curves import (
    pca_2d,
    plot_forecast,
    plot_grad_norms,
    plot_hidden_trajectory,
    plot_loss_curves,
)
from course_lib.plot.heatmaps import confusion_matrix, plot_confusion_matrix, plot_gate_heatmap, plot_gates

__all__ = [
    "plot_loss_curves",
    "plot_grad_norms",
    "pca_2d",
    "plot_hidden_trajectory",
    "plot_forecast",
    "plot_gate_heatmap",
    "plot_gates",
    "confusion_matrix",
    "plot_confusion_matrix",
]
