"""modagg: export the scalars of TensorBoard event files (Modulus / PhysicsNeMo runs) to CSV.

The command line is ``modagg`` (see ``modagg --help``); the library is
:mod:`modagg.reader`.
"""

__version__ = "0.1.0"
