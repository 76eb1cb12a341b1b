"""An attacker's view: each module reproduces hostile scenarios against one area and
asserts the safe outcome."""
