from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_error import HTTPError
from ...models.http_validation_error import HTTPValidationError
from ...models.task_status import TaskStatus
from ...models.task_status_code import TaskStatusCode
from ...types import UNSET, Response, Unset


def _get_kwargs(
    task_id: str,
    *,
    wait_seconds: float | Unset = 0.0,
    last_status: TaskStatusCode | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["wait_seconds"] = wait_seconds

    json_last_status: str | Unset = UNSET
    if not isinstance(last_status, Unset):
        json_last_status = last_status.value

    params["last_status"] = json_last_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/tasks/{task_id}/status".format(
            task_id=quote(str(task_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPError | HTTPValidationError | TaskStatus | None:
    if response.status_code == 200:
        response_200 = TaskStatus.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = HTTPError.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = HTTPError.from_dict(response.json())

        return response_404

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
) -> Response[HTTPError | HTTPValidationError | TaskStatus]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    client: AuthenticatedClient | Client,
    task_id: str,
    *,
    wait_seconds: float | Unset = 0.0,
    last_status: TaskStatusCode | Unset = UNSET,
) -> Response[HTTPError | HTTPValidationError | TaskStatus]:
    """Get Task Status

     The task's status. Extension `long-poll`: with `wait_seconds` > 0 the
    server holds the response until the task's status differs from
    `last_status` (default: its status when the request arrived) or the
    time is up. A server without it answers at once.

    Args:
        task_id (str):
        wait_seconds (float | Unset):  Default: 0.0.
        last_status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and
            `pending-kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | TaskStatus]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        wait_seconds=wait_seconds,
        last_status=last_status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    client: AuthenticatedClient | Client,
    task_id: str,
    *,
    wait_seconds: float | Unset = 0.0,
    last_status: TaskStatusCode | Unset = UNSET,
) -> HTTPError | HTTPValidationError | TaskStatus | None:
    """Get Task Status

     The task's status. Extension `long-poll`: with `wait_seconds` > 0 the
    server holds the response until the task's status differs from
    `last_status` (default: its status when the request arrived) or the
    time is up. A server without it answers at once.

    Args:
        task_id (str):
        wait_seconds (float | Unset):  Default: 0.0.
        last_status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and
            `pending-kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | TaskStatus
    """

    return sync_detailed(
        task_id=task_id,
        client=client,
        wait_seconds=wait_seconds,
        last_status=last_status,
    ).parsed


async def asyncio_detailed(
    client: AuthenticatedClient | Client,
    task_id: str,
    *,
    wait_seconds: float | Unset = 0.0,
    last_status: TaskStatusCode | Unset = UNSET,
) -> Response[HTTPError | HTTPValidationError | TaskStatus]:
    """Get Task Status

     The task's status. Extension `long-poll`: with `wait_seconds` > 0 the
    server holds the response until the task's status differs from
    `last_status` (default: its status when the request arrived) or the
    time is up. A server without it answers at once.

    Args:
        task_id (str):
        wait_seconds (float | Unset):  Default: 0.0.
        last_status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and
            `pending-kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | TaskStatus]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        wait_seconds=wait_seconds,
        last_status=last_status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    client: AuthenticatedClient | Client,
    task_id: str,
    *,
    wait_seconds: float | Unset = 0.0,
    last_status: TaskStatusCode | Unset = UNSET,
) -> HTTPError | HTTPValidationError | TaskStatus | None:
    """Get Task Status

     The task's status. Extension `long-poll`: with `wait_seconds` > 0 the
    server holds the response until the task's status differs from
    `last_status` (default: its status when the request arrived) or the
    time is up. A server without it answers at once.

    Args:
        task_id (str):
        wait_seconds (float | Unset):  Default: 0.0.
        last_status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and
            `pending-kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | TaskStatus
    """

    return (
        await asyncio_detailed(
            task_id=task_id,
            client=client,
            wait_seconds=wait_seconds,
            last_status=last_status,
        )
    ).parsed
