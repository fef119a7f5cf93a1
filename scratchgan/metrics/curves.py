"""The training-curves figure: losses, D outputs, gradient norms and quality.

Reads the records of metrics.jsonl. Panels appear when their data does: the
gradient norms once records carry ``grad_norm_g_total``, the quality panel once
``--eval-every`` has written ``fd``. Alarms are drawn as red vertical lines.
"""

import os


def plot_training_curves(records, out_path):
    """Write the figure for ``records`` (dicts from metrics.jsonl) to out_path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [r for r in records if "d_loss" in r]
    if not train:
        return
    steps = [r["step"] for r in train]
    norms = [r for r in train if "grad_norm_g_total" in r]
    quality = [r for r in records if "fd" in r]
    alarms = [r for r in records if "alarm" in r]
    n_panels = 2 + bool(norms) + bool(quality)
    fig, axes = plt.subplots(
        n_panels, 1, figsize=(8, 2.6 * n_panels + 0.6), sharex=True
    )

    # losses
    ax = axes[0]
    ax.plot(steps, [r["d_loss"] for r in train], label="d_loss (real + fake)")
    ax.plot(steps, [r["g_loss"] for r in train], label="g_loss")
    ax.set_ylabel("loss")

    # discriminator outputs
    ax = axes[1]
    ax.plot(steps, [r["d_real"] for r in train], label="D(x)")
    ax.plot(steps, [r["d_fake"] for r in train], label="D(G(z))")
    ax.axhline(0.5, color="k", linestyle="--", linewidth=1, label="equilibrium 0.5")
    ax.set_ylim(0, 1)
    ax.set_ylabel("discriminator output")

    # gradient norms, log scale: a vanishing generator gradient spans decades
    i = 2
    if norms:
        ax = axes[i]
        s = [r["step"] for r in norms]
        ax.semilogy(s, [max(r["grad_norm_g_total"], 1e-30) for r in norms], label="G")
        ax.semilogy(s, [max(r["grad_norm_d_total"], 1e-30) for r in norms], label="D")
        ax.set_ylabel("gradient norm")
        i += 1

    # sample quality at the evaluation steps
    if quality:
        ax = axes[i]
        s = [r["step"] for r in quality]
        ax.plot(s, [r["fd"] for r in quality], "o-", label="FD (classifier features)")
        ax.set_ylabel("FD")
        right = ax.twinx()
        right.plot(
            s,
            [r["covered"] for r in quality],
            "s--",
            color="C2",
            label="digits covered",
        )
        right.set_ylim(0, 10.5)
        right.set_ylabel("digits covered")
        right.legend(loc="center right")

    for ax in axes:
        for a in alarms:
            ax.axvline(a["step"], color="red", linewidth=1, alpha=0.6)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right")
    if alarms:
        names = ", ".join(f"{a['alarm']} @ {a['step']}" for a in alarms)
        axes[0].set_title(f"alarms (red lines): {names}", fontsize=9)
    axes[-1].set_xlabel("step")
    fig.tight_layout()
    tmp = out_path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, out_path)
