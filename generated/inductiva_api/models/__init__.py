"""Contains all the data models used in inputs/outputs"""

from .error import Error
from .error_detail import ErrorDetail
from .executer import Executer
from .output_list import OutputList
from .output_member import OutputMember
from .task import Task
from .task_page import TaskPage
from .task_request import TaskRequest
from .task_request_params import TaskRequestParams
from .task_status import TaskStatus
from .task_status_info import TaskStatusInfo
from .task_submitted import TaskSubmitted
from .version import Version

__all__ = (
    "Error",
    "ErrorDetail",
    "Executer",
    "OutputList",
    "OutputMember",
    "Task",
    "TaskPage",
    "TaskRequest",
    "TaskRequestParams",
    "TaskStatus",
    "TaskStatusInfo",
    "TaskSubmitted",
    "Version",
)
