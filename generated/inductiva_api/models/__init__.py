"""Contains all the data models used in inputs/outputs"""

from .body_upload_task_input import BodyUploadTaskInput
from .file_info import FileInfo
from .g_cloud_executer import GCloudExecuter
from .g_cloud_executer_host_type import GCloudExecuterHostType
from .http_error import HTTPError
from .http_validation_error import HTTPValidationError
from .inductiva_executer import InductivaExecuter
from .inductiva_executer_host_type import InductivaExecuterHostType
from .known_task_status import KnownTaskStatus
from .output_archive_info import OutputArchiveInfo
from .task import Task
from .task_request import TaskRequest
from .task_request_params import TaskRequestParams
from .task_status import TaskStatus
from .task_status_code import TaskStatusCode
from .task_statuses import TaskStatuses
from .task_statuses_request import TaskStatusesRequest
from .validation_error import ValidationError
from .version import Version

__all__ = (
    "BodyUploadTaskInput",
    "FileInfo",
    "GCloudExecuter",
    "GCloudExecuterHostType",
    "HTTPError",
    "HTTPValidationError",
    "InductivaExecuter",
    "InductivaExecuterHostType",
    "KnownTaskStatus",
    "OutputArchiveInfo",
    "Task",
    "TaskRequest",
    "TaskRequestParams",
    "TaskStatus",
    "TaskStatusCode",
    "TaskStatuses",
    "TaskStatusesRequest",
    "ValidationError",
    "Version",
)
