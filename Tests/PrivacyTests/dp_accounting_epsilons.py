#!/usr/bin/env python3
"""Prints dp-accounting's epsilons for the Poisson-subsampled Gaussian mechanism, one line per point.

usage: dp_accounting_epsilons.py Q,Z,ROUNDS,DELTA ...

Each output line is "Q Z ROUNDS DELTA EPSILON ORDER", from dp_accounting.rdp.RdpAccountant with its default
orders, as EndToEndTests compares them with PrivacyAccountant.

Exit codes: 0 printed; 2 bad arguments; 3 dp-accounting is not installed.
"""
import sys

try:
    import dp_accounting
    from dp_accounting.rdp import rdp_privacy_accountant
except ImportError as error:
    print(f"dp-accounting is not installed ({error}); pip install dp-accounting", file=sys.stderr)
    sys.exit(3)


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for point in sys.argv[1:]:
        try:
            q, z, rounds, delta = point.split(",")
            q, z, rounds, delta = float(q), float(z), int(rounds), float(delta)
        except ValueError:
            print(f"bad point {point!r}: expected Q,Z,ROUNDS,DELTA", file=sys.stderr)
            return 2
        accountant = rdp_privacy_accountant.RdpAccountant()
        event = dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(z))
        accountant.compose(event, rounds)
        epsilon, order = accountant.get_epsilon_and_optimal_order(delta)
        print(f"{q!r} {z!r} {rounds} {delta!r} {float(epsilon)!r} {float(order)!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
