"""`python -m services.localstack up|down|status`: the stack commands without the full CLI.

scripts/with-stack.sh uses this so the build does not depend on the root CLI's wiring.
"""

from services.localstack.cli import stack_app

stack_app(prog_name="python -m services.localstack")
