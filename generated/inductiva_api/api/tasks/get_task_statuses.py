from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_error import HTTPError
from ...models.http_validation_error import HTTPValidationError
from ...models.task_statuses import TaskStatuses
from ...models.task_statuses_request import TaskStatusesRequest
from ...types import Response


def _get_kwargs(
    *,
    body: TaskStatusesRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/tasks/status",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPError | HTTPValidationError | TaskStatuses | None:
    if response.status_code == 200:
        response_200 = TaskStatuses.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = HTTPError.from_dict(response.json())

        return response_401

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = HTTPError.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = HTTPError.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = HTTPError.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[HTTPError | HTTPValidationError | TaskStatuses]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    client: AuthenticatedClient | Client,
    *,
    body: TaskStatusesRequest,
) -> Response[HTTPError | HTTPValidationError | TaskStatuses]:
    """Get Many Task Statuses

     Extension `batch-status`: the statuses of up to 1000 of the caller's
    tasks in one request. With `wait_seconds` > 0 the server holds the
    response until the status of one of the tasks differs from its
    `last_status` (a task given without `last_status` answers at once) or the
    time is up. Tasks that do not exist (or belong to another key) are left
    out of the answer.

    Args:
        body (TaskStatusesRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | TaskStatuses]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    client: AuthenticatedClient | Client,
    *,
    body: TaskStatusesRequest,
) -> HTTPError | HTTPValidationError | TaskStatuses | None:
    """Get Many Task Statuses

     Extension `batch-status`: the statuses of up to 1000 of the caller's
    tasks in one request. With `wait_seconds` > 0 the server holds the
    response until the status of one of the tasks differs from its
    `last_status` (a task given without `last_status` answers at once) or the
    time is up. Tasks that do not exist (or belong to another key) are left
    out of the answer.

    Args:
        body (TaskStatusesRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | TaskStatuses
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    client: AuthenticatedClient | Client,
    *,
    body: TaskStatusesRequest,
) -> Response[HTTPError | HTTPValidationError | TaskStatuses]:
    """Get Many Task Statuses

     Extension `batch-status`: the statuses of up to 1000 of the caller's
    tasks in one request. With `wait_seconds` > 0 the server holds the
    response until the status of one of the tasks differs from its
    `last_status` (a task given without `last_status` answers at once) or the
    time is up. Tasks that do not exist (or belong to another key) are left
    out of the answer.

    Args:
        body (TaskStatusesRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | TaskStatuses]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    client: AuthenticatedClient | Client,
    *,
    body: TaskStatusesRequest,
) -> HTTPError | HTTPValidationError | TaskStatuses | None:
    """Get Many Task Statuses

     Extension `batch-status`: the statuses of up to 1000 of the caller's
    tasks in one request. With `wait_seconds` > 0 the server holds the
    response until the status of one of the tasks differs from its
    `last_status` (a task given without `last_status` answers at once) or the
    time is up. Tasks that do not exist (or belong to another key) are left
    out of the answer.

    Args:
        body (TaskStatusesRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | TaskStatuses
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
