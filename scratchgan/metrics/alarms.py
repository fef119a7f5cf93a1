"""Alarms: conditions in the training records that mean a run has gone wrong.

``Alarms.check(record)`` looks at one metrics.jsonl record and returns the alarms
that fire at it, each only the first time its condition holds:

- ``mode_collapse``: the 64 fixed-latent samples are far less diverse than real
  digits (their mean pairwise distance, ``diversity``, is the ratio of the two),
  or, at evaluation steps, too few digits are generated (``covered``);
- ``vanishing_gradient``: the discriminator wins, D(G(z)) near 0 in G's step, and
  the generator's gradient norm has collapsed from its peak. The minimax loss
  log(1 - D(G(z))) does exactly this; the non-saturating loss should not;
- ``divergence``: a gradient norm that is not finite or has jumped far above
  its typical (median) size.

Nothing fires before ``start`` steps (200): a freshly initialised generator draws
near-constant grey images, and after 50 steps still only blurs of low diversity,
which would read as collapse. The state (which alarms have
fired, the gradient-norm history) is rebuilt from a run's records by
``replay``, so a resumed run raises the same alarms as one that never stopped.
"""

import math

ALARM_AFTER = 200  # steps before any alarm may fire
DIVERSITY_FLOOR = 0.4  # fixed-sample diversity below this share of real digits'
COVERAGE_FLOOR = 0.6  # fewer than this share of the trained digits generated
D_FAKE_FLOOR = 0.05  # D(G(z)) below this counts as D winning
GRAD_COLLAPSE = 0.05  # G's gradient norm below this share of its peak
DIVERGE_FACTOR = 100.0  # a gradient norm this many times its median so far
MIN_HISTORY = 5  # records of gradient norms needed before judging divergence


class Alarms:
    """Watches records in step order; see the module docstring for the rules."""

    def __init__(self, n_classes=10, start=ALARM_AFTER):
        self.n_classes = n_classes
        self.start = start
        self.fired = set()
        self.g_peak = 0.0
        self.totals = {"g": [], "d": []}

    def replay(self, records):
        """Rebuild the state from the records a run has written so far."""
        for r in records:
            if "alarm" in r:
                self.fired.add(r["alarm"])
            else:
                self._remember(r)

    def _remember(self, r):
        for net in ("g", "d"):
            total = r.get(f"grad_norm_{net}_total")
            if total is not None and math.isfinite(total):
                self.totals[net].append(total)
        if "grad_norm_g_total" in r and math.isfinite(r["grad_norm_g_total"]):
            self.g_peak = max(self.g_peak, r["grad_norm_g_total"])

    def check(self, r):
        """Alarm records ({"step", "alarm", "detail"}) that fire at record r."""
        found = []
        if r["step"] > self.start:
            found = self._mode_collapse(r) + self._vanishing(r) + self._divergence(r)
        self._remember(r)
        out = []
        for name, detail in found:
            if name not in self.fired:
                self.fired.add(name)
                out.append({"step": r["step"], "alarm": name, "detail": detail})
        return out

    def _mode_collapse(self, r):
        found = []
        if "diversity" in r and r["diversity"] < DIVERSITY_FLOOR:
            found.append(
                (
                    "mode_collapse",
                    f"fixed-latent samples are {r['diversity']:.2f} times as "
                    "diverse as real digits (mean pairwise distance)",
                )
            )
        if "covered" in r and r["covered"] < COVERAGE_FLOOR * self.n_classes:
            found.append(
                (
                    "mode_collapse",
                    f"only {r['covered']} of {self.n_classes} digits get 2% of "
                    "the samples",
                )
            )
        return found

    def _vanishing(self, r):
        d_fake, norm = r.get("d_fake_g"), r.get("grad_norm_g_total")
        if d_fake is None or norm is None or self.g_peak <= 0:
            return []
        if d_fake < D_FAKE_FLOOR and norm < GRAD_COLLAPSE * self.g_peak:
            return [
                (
                    "vanishing_gradient",
                    f"D(G(z)) = {d_fake:.2g} and G's gradient norm {norm:.3g} is "
                    f"{norm / self.g_peak:.1%} of its peak {self.g_peak:.3g}",
                )
            ]
        return []

    def _divergence(self, r):
        for net, name in (("g", "G"), ("d", "D")):
            total = r.get(f"grad_norm_{net}_total")
            if total is None:
                continue
            if not math.isfinite(total):
                return [("divergence", f"{name}'s gradient norm is {total}")]
            history = sorted(self.totals[net])
            if len(history) >= MIN_HISTORY:
                median = history[len(history) // 2]
                if total > DIVERGE_FACTOR * median:
                    return [
                        (
                            "divergence",
                            f"{name}'s gradient norm {total:.3g} is "
                            f"{total / median:.0f} times its median {median:.3g}",
                        )
                    ]
        return []
