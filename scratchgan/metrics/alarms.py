"""Alarms: conditions in the training records that mean a run has gone wrong.

``Alarms.check(record)`` looks at one metrics.jsonl record and returns the alarms
that fire at it, each only the first time its condition holds:

- ``mode_collapse``: the 64 fixed-latent samples have become far less diverse
  than real digits (their mean pairwise distance, ``diversity``, is the ratio of
  the two) after having been at least half as diverse; or, at evaluation
  steps, fewer digits are generated (``covered``) than the run once managed,
  and too few. Both ask for a drop from the run's own best, because early
  samples are blurs of low diversity (and early generators often collapse for
  a while and recover); so a generator that never varied raises nothing here;
- ``vanishing_gradient``: the discriminator wins, D(G(z)) near 0 in G's step, and
  the generator's gradient norm has collapsed from its peak. The minimax loss
  log(1 - D(G(z))) does exactly this; the non-saturating loss should not;
- ``divergence``: a gradient norm that is not finite or has jumped far above
  its typical (median) size.

Nothing fires before ``start`` steps (50), while the statistics settle. The
state (which alarms have fired, the bests, the gradient-norm history) is rebuilt
from a run's records by ``replay``, so a resumed run raises the same alarms as
one that never stopped.
"""

import math

ALARM_AFTER = 50  # steps before any alarm may fire
DIVERSITY_FLOOR = 0.4  # fixed-sample diversity below this share of real digits'
DIVERSITY_DROP = 0.6  # ... and below this share of the run's best diversity,
DIVERSITY_HEALTHY = 0.5  # ... which must have reached this share of real digits'
COVERAGE_DROP = 3  # digits lost from the run's best coverage
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
        self.best_diversity = 0.0
        self.best_covered = 0
        self.totals = {"g": [], "d": []}

    def replay(self, records):
        """Rebuild the state from the records a run has written so far."""
        for r in records:
            if "alarm" in r:
                self.fired.add(r["alarm"])
            else:
                self._remember(r)

    def _remember(self, r):
        self.best_diversity = max(self.best_diversity, r.get("diversity", 0.0))
        self.best_covered = max(self.best_covered, r.get("covered", 0))
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
        div = r.get("diversity")
        if (
            div is not None
            and div < DIVERSITY_FLOOR
            and div < DIVERSITY_DROP * self.best_diversity
            and self.best_diversity >= DIVERSITY_HEALTHY
        ):
            found.append(
                (
                    "mode_collapse",
                    f"fixed-latent samples are {div:.2f} times as diverse as real "
                    f"digits (mean pairwise distance), down from "
                    f"{self.best_diversity:.2f}",
                )
            )
        cov = r.get("covered")
        if (
            cov is not None
            and cov < COVERAGE_FLOOR * self.n_classes
            and cov <= self.best_covered - COVERAGE_DROP
        ):
            found.append(
                (
                    "mode_collapse",
                    f"only {cov} of {self.n_classes} digits get 2% of the "
                    f"samples, down from {self.best_covered}",
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
