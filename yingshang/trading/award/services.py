"""(Filled in by the issue-7 work.)"""
