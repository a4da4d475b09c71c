from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_error import HTTPError
from ...models.http_validation_error import HTTPValidationError
from ...models.task import Task
from ...models.task_status_code import TaskStatusCode
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    page: int | Unset = UNSET,
    per_page: int | Unset = UNSET,
    status: TaskStatusCode | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["page"] = page

    params["per_page"] = per_page

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/tasks",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPError | HTTPValidationError | list[Task] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = Task.from_dict(response_200_item_data)

            response_200.append(response_200_item)

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
) -> Response[HTTPError | HTTPValidationError | list[Task]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    client: AuthenticatedClient | Client,
    *,
    page: int | Unset = UNSET,
    per_page: int | Unset = UNSET,
    status: TaskStatusCode | Unset = UNSET,
) -> Response[HTTPError | HTTPValidationError | list[Task]]:
    """Get User Tasks

     One page of the caller's tasks, newest first, as a plain array. A page
    shorter than `per_page` is the last one.

    Args:
        page (int | Unset):
        per_page (int | Unset):
        status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and `pending-
            kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | list[Task]]
    """

    kwargs = _get_kwargs(
        page=page,
        per_page=per_page,
        status=status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    client: AuthenticatedClient | Client,
    *,
    page: int | Unset = UNSET,
    per_page: int | Unset = UNSET,
    status: TaskStatusCode | Unset = UNSET,
) -> HTTPError | HTTPValidationError | list[Task] | None:
    """Get User Tasks

     One page of the caller's tasks, newest first, as a plain array. A page
    shorter than `per_page` is the last one.

    Args:
        page (int | Unset):
        per_page (int | Unset):
        status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and `pending-
            kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | list[Task]
    """

    return sync_detailed(
        client=client,
        page=page,
        per_page=per_page,
        status=status,
    ).parsed


async def asyncio_detailed(
    client: AuthenticatedClient | Client,
    *,
    page: int | Unset = UNSET,
    per_page: int | Unset = UNSET,
    status: TaskStatusCode | Unset = UNSET,
) -> Response[HTTPError | HTTPValidationError | list[Task]]:
    """Get User Tasks

     One page of the caller's tasks, newest first, as a plain array. A page
    shorter than `per_page` is the last one.

    Args:
        page (int | Unset):
        per_page (int | Unset):
        status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and `pending-
            kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | list[Task]]
    """

    kwargs = _get_kwargs(
        page=page,
        per_page=per_page,
        status=status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    client: AuthenticatedClient | Client,
    *,
    page: int | Unset = UNSET,
    per_page: int | Unset = UNSET,
    status: TaskStatusCode | Unset = UNSET,
) -> HTTPError | HTTPValidationError | list[Task] | None:
    """Get User Tasks

     One page of the caller's tasks, newest first, as a plain array. A page
    shorter than `per_page` is the last one.

    Args:
        page (int | Unset):
        per_page (int | Unset):
        status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and `pending-
            kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | list[Task]
    """

    return (
        await asyncio_detailed(
            client=client,
            page=page,
            per_page=per_page,
            status=status,
        )
    ).parsed
