"""``python -m r1lib --profile micro``: the pipeline runner (:mod:`r1lib.machinery.pipeline`)."""

from r1lib.machinery.pipeline import main

if __name__ == "__main__":
    raise SystemExit(main())
