from enum import StrEnum


class TaskStatusCode(StrEnum):
    EXECUTER_FAILED = "executer-failed"
    EXECUTER_TERMINATED = "executer-terminated"
    FAILED = "failed"
    KILLED = "killed"
    PENDING_INPUT = "pending-input"
    PENDING_KILL = "pending-kill"
    SPOT_INSTANCE_PREEMPTED = "spot-instance-preempted"
    STARTED = "started"
    SUBMITTED = "submitted"
    SUCCESS = "success"

    def __str__(self) -> str:
        return str(self.value)
