"""Hand-drawn diagrams: the unrolled RNN and the LSTM cell. Nothing here measures anything."""

from __future__ import annotations

from matplotlib.figure import Figure

from .style import COLORS


def unrolled_graph_figure(steps: int = 4) -> Figure:
    """The RNN unrolled in time: inputs, hidden states, the loss, and the backward path."""
    fig = Figure(figsize=(7.2, 2.8), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(-0.8, steps + 1.2)
    ax.set_ylim(-0.9, 2.3)
    arrow = dict(arrowstyle="-|>", color="#444444", lw=1.2, shrinkA=14, shrinkB=14)
    back = dict(
        arrowstyle="-|>",
        color=COLORS["rnn"],
        lw=1.4,
        ls="--",
        shrinkA=14,
        shrinkB=14,
        connectionstyle="arc3,rad=-0.35",
    )
    for t in range(steps + 1):
        ax.text(
            t,
            1,
            f"$h_{t}$" if t < steps else "$h_T$",
            ha="center",
            va="center",
            fontsize=12,
            bbox=dict(boxstyle="circle,pad=0.35", fc="#e8f0fb", ec=COLORS["lstm"]),
        )
        if t > 0:
            label = f"$x_{t}$" if t < steps else "$x_T$"
            ax.text(
                t,
                -0.45,
                label,
                ha="center",
                va="center",
                fontsize=11,
                bbox=dict(boxstyle="square,pad=0.3", fc="#f4f4f4", ec="#888888"),
            )
            ax.annotate("", (t, 1), (t, -0.45), arrowprops=arrow)
            ax.text(t + 0.08, 0.28, "$U$", fontsize=9, color="#444444")
            ax.annotate("", (t, 1), (t - 1, 1), arrowprops=arrow)
            ax.text(t - 0.55, 1.1, "$W$", fontsize=9, color="#444444")
            ax.annotate("", (t - 1, 1), (t, 1), arrowprops=back)
    ax.text(
        steps + 1,
        1,
        "$L$",
        ha="center",
        va="center",
        fontsize=12,
        bbox=dict(boxstyle="round,pad=0.35", fc="#fde8e8", ec=COLORS["rnn"]),
    )
    ax.annotate("", (steps + 1, 1), (steps, 1), arrowprops=arrow)
    ax.annotate("", (steps, 1), (steps + 1, 1), arrowprops=back)
    ax.text(
        steps / 2,
        2.0,
        r"backward: $\partial L/\partial h_{t-1} = W^\top \mathrm{diag}(\phi'(a_t))\,"
        r"\partial L/\partial h_t$",
        ha="center",
        color=COLORS["rnn"],
        fontsize=10,
    )
    return fig


def _cell_canvas() -> tuple[Figure, object]:
    """A blank 10 x 5 drawing area for a cell diagram."""
    fig = Figure(figsize=(7.0, 3.2), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5)
    return fig, ax


def _node(ax, x, y, text, color="#ffffff", edge="#444444", style="circle,pad=0.25") -> None:
    """A labelled box or circle centred at (x, y)."""
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=11,
        bbox=dict(boxstyle=style, fc=color, ec=edge),
    )


def _state_line(ax, color: str, before: str, after: str, add_at: float) -> None:
    """The memory line along the top of a cell diagram: the old state, multiplied (x at
    3.1), added to (+ at ``add_at``), leaving as the new state."""
    thick = dict(arrowstyle="-|>", color=color, lw=2.5)
    for start, end in ((0.6, 2.9), (3.3, add_at - 0.2), (add_at + 0.2, 9.4)):
        ax.annotate("", (end, 4.2), (start, 4.2), arrowprops=thick)
    ax.text(0.3, 4.2, before, ha="center", va="center", fontsize=12)
    ax.text(9.7, 4.2, after, ha="center", va="center", fontsize=12)
    _node(ax, 3.1, 4.2, r"$\times$", edge=color)
    _node(ax, add_at, 4.2, "$+$", edge=color)


def lstm_cell_figure() -> Figure:
    """The LSTM cell as a diagram: the cell-state line on top (multiply by f, add i*g) and
    the four gates reading [h_{t-1}, x_t] below."""
    fig, ax = _cell_canvas()
    line = dict(arrowstyle="-|>", color="#444444", lw=1.3)
    # The cell-state path: c_{t-1} -> (x f) -> (+ i g) -> c_t.
    _state_line(ax, COLORS["lstm"], "$c_{t-1}$", "$c_t$", add_at=5.8)
    # Gates.
    gates = [
        (3.1, r"$f_t = \sigma$"),
        (4.9, r"$i_t = \sigma$"),
        (6.2, r"$g_t = \tanh$"),
        (7.9, r"$o_t = \sigma$"),
    ]
    for x, label in gates:
        _node(ax, x, 1.9, label, color="#f4f4f4", style="round,pad=0.3")
        ax.annotate("", (x, 1.55), (x, 0.75), arrowprops=line)
    ax.plot([1.2, 8.6], [0.6, 0.6], color="#444444", lw=1.3)
    ax.text(0.6, 0.6, "$[h_{t-1}, x_t]$", ha="center", va="center", fontsize=11)
    ax.annotate("", (3.1, 3.95), (3.1, 2.25), arrowprops=line)
    _node(ax, 5.55, 3.05, r"$\times$")
    ax.annotate("", (5.38, 2.85), (4.9, 2.25), arrowprops=line)
    ax.annotate("", (5.72, 2.85), (6.2, 2.25), arrowprops=line)
    ax.annotate("", (5.8, 3.95), (5.6, 3.3), arrowprops=line)
    # Output: h_t = o_t * tanh(c_t).
    _node(ax, 8.6, 3.05, r"$\times$")
    ax.annotate("", (8.45, 2.85), (7.9, 2.25), arrowprops=line)
    ax.annotate("", (8.6, 3.3), (8.6, 4.2), arrowprops=dict(line, connectionstyle="arc3"))
    ax.text(8.95, 3.65, r"$\tanh$", fontsize=9)
    ax.annotate("", (9.6, 3.05), (8.85, 3.05), arrowprops=line)
    ax.text(9.75, 3.05, "$h_t$", ha="center", va="center", fontsize=12)
    ax.text(
        4.4,
        4.65,
        r"diagonal path: $\partial c_t / \partial c_{t-1} = f_t$ (+ W-paths through $h_{t-1}$)",
        ha="center",
        color=COLORS["lstm"],
        fontsize=9,
    )
    return fig


def gru_cell_figure() -> Figure:
    """The GRU cell as a diagram: the state line on top (keep z_t of the old state, add
    (1 - z_t) of the candidate n_t), the reset and update gates reading [h_{t-1}, x_t] below,
    and the reset gate scaling the recurrent part of the candidate (PyTorch's form)."""
    fig, ax = _cell_canvas()
    line = dict(arrowstyle="-|>", color="#444444", lw=1.3)
    # The state line: h_{t-1} -> (x z) -> (+ (1 - z) n) -> h_t.
    _state_line(ax, COLORS["gru"], "$h_{t-1}$", "$h_t$", add_at=6.8)
    # Gates and candidate.
    _node(ax, 4.4, 1.9, r"$r_t = \sigma$", color="#f4f4f4", style="round,pad=0.3")
    _node(ax, 3.1, 1.9, r"$z_t = \sigma$", color="#f4f4f4", style="round,pad=0.3")
    _node(ax, 6.8, 1.9, r"$n_t = \tanh$", color="#f4f4f4", style="round,pad=0.3")
    for x in (3.1, 4.4, 6.8):
        ax.annotate("", (x, 1.55), (x, 0.75), arrowprops=line)
    ax.plot([1.2, 7.4], [0.6, 0.6], color="#444444", lw=1.3)
    ax.text(0.6, 0.6, "$[h_{t-1}, x_t]$", ha="center", va="center", fontsize=11)
    ax.annotate("", (6.05, 1.9), (5.05, 1.9), arrowprops=line)
    ax.text(5.55, 2.1, r"$r_t \odot (W_{hn} h_{t-1} + b_{hn})$", ha="center", fontsize=7)
    # z keeps the old state; 1 - z lets the candidate in.
    ax.annotate("", (3.1, 3.95), (3.1, 2.25), arrowprops=line)
    _node(ax, 6.8, 3.05, r"$\times$")
    ax.annotate("", (6.8, 2.8), (6.8, 2.25), arrowprops=line)
    ax.annotate("", (6.55, 3.05), (3.35, 2.1), arrowprops=dict(line, connectionstyle="arc3"))
    ax.text(4.7, 2.75, "$1 - z_t$", fontsize=9)
    ax.annotate("", (6.8, 3.95), (6.8, 3.3), arrowprops=line)
    ax.text(
        4.9,
        4.65,
        r"diagonal path: $\partial h_t / \partial h_{t-1} = \mathrm{diag}(z_t)$ (+ W-paths through $r, z, n$)",
        ha="center",
        color=COLORS["gru"],
        fontsize=9,
    )
    return fig


def unrolled_lstm_figure(steps: int = 3) -> Figure:
    """The LSTM unrolled over ``steps`` steps (states numbered 0 to ``steps``, so the last is
    c_T with T = steps), drawn for the backward pass: the cell line c_0 -> c_T on
    top, where the gradient can travel multiplied by f_t alone (the diagonal path), and one
    W-path, on which the gradient leaves the cell for h, passes the recurrent matrix W into
    the next step's gates and re-enters the cell."""
    fig = Figure(figsize=(8.2, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    gap = 3.0
    ax.set_xlim(-0.6, steps * gap + 1.4)
    ax.set_ylim(-0.35, 5.1)
    grey = dict(arrowstyle="-|>", color="#666666", lw=1.2, shrinkA=12, shrinkB=12)
    cell = dict(arrowstyle="-|>", color=COLORS["lstm"], lw=3, shrinkA=13, shrinkB=13)
    w_path = dict(arrowstyle="-|>", color=COLORS["rnn"], lw=1.8, ls="--", shrinkA=13, shrinkB=13)
    state = dict(boxstyle="round,pad=0.3", fc="#e8f0fb", ec=COLORS["lstm"])
    for t in range(steps + 1):
        x, name = t * gap, str(t)
        ax.text(x, 3.8, f"$c_{{{name}}}$", ha="center", va="center", fontsize=12, bbox=state)
        ax.text(x, 0.9, f"$h_{{{name}}}$", ha="center", va="center", fontsize=12, bbox=state)
        if t == 0:
            continue
        gx = x - gap / 2
        ax.text(
            gx,
            2.35,
            f"gates\n$f, i, g, o$\nof step {name}",
            ha="center",
            va="center",
            fontsize=9,
            bbox=dict(boxstyle="round,pad=0.3", fc="#f4f4f4", ec="#888888"),
        )
        ax.annotate("", (x, 3.8), (x - gap, 3.8), arrowprops=cell)  # c_{t-1} -> c_t
        ax.text(gx, 4.15, f"$\\times f_{{{name}}}$", ha="center", color=COLORS["lstm"], fontsize=11)
        ax.annotate("", (gx, 2.35), (x - gap, 0.9), arrowprops={**grey, "shrinkB": 30})  # via W
        ax.text(gx - 0.95, 1.35, "$W$", fontsize=10, color="#444444")
        ax.annotate("", (x, 3.8), (gx, 2.35), arrowprops={**grey, "shrinkA": 30})  # f, i g
        ax.annotate("", (x, 0.9), (x, 3.8), arrowprops=grey)  # c_t -> h_t (o tanh)
        ax.text(x + 0.12, 2.0, r"$o\,\tanh$", fontsize=9, color="#444444")
        ax.text(
            gx, -0.15, f"$x_{{{name}}}$ enters the gates", ha="center", fontsize=8, color="#666666"
        )
    # The loss reads h_T; the gradient goes back along the cell (diagonal) or through W.
    last = steps * gap
    ax.text(
        last + 1.1,
        0.9,
        "$L$",
        ha="center",
        va="center",
        fontsize=12,
        bbox=dict(boxstyle="round,pad=0.3", fc="#fde8e8", ec=COLORS["rnn"]),
    )
    ax.annotate("", (last + 1.1, 0.9), (last, 0.9), arrowprops=grey)
    ax.text(
        last / 2,
        4.75,
        r"diagonal path: $\partial L/\partial c_t$ carried back by "
        r"the product of the $f_s$ alone (no $W$, no slope)",
        ha="center",
        color=COLORS["lstm"],
        fontsize=10,
    )
    # One W-path, backwards from c_T: out of the cell into the last gates, through W into h,
    # back into the cell one step earlier.
    a, g = last - gap, last - gap / 2
    for end, start, bend in (
        ((g, 2.35), (last, 3.8), -0.25),
        ((a, 0.9), (g, 2.35), -0.25),
        ((a, 3.8), (a, 0.9), -0.35),
    ):
        ax.annotate("", end, start, arrowprops=dict(w_path, connectionstyle=f"arc3,rad={bend}"))
    ax.text(
        g + 0.2,
        1.25,
        "a W-path\n(backwards)",
        color=COLORS["rnn"],
        fontsize=9,
        ha="left",
        va="center",
    )
    return fig
