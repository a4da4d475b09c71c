from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    task_id: str,
    *,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(range_, Unset):
        headers["Range"] = range_

    if not isinstance(if_range, Unset):
        headers["If-Range"] = if_range

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/tasks/{task_id}/output".format(
            task_id=quote(str(task_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | File | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 206:
        response_206 = File(payload=BytesIO(response.content))

        return response_206

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 416:
        response_416 = Error.from_dict(response.json())

        return response_416

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | File]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Response[Error | File]:
    """The output zip archive

     Supports a single byte range (`Range: bytes=a-b`, `bytes=a-`,
    `bytes=-n`), answered 206 with `Content-Range`; an unsatisfiable range
    is a 416. `If-Range` with the archive's ETag makes the range
    conditional: when it does not match, the whole archive is sent (200).

    Args:
        task_id (str):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        range_=range_,
        if_range=if_range,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Error | File | None:
    """The output zip archive

     Supports a single byte range (`Range: bytes=a-b`, `bytes=a-`,
    `bytes=-n`), answered 206 with `Content-Range`; an unsatisfiable range
    is a 416. `If-Range` with the archive's ETag makes the range
    conditional: when it does not match, the whole archive is sent (200).

    Args:
        task_id (str):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return sync_detailed(
        task_id=task_id,
        client=client,
        range_=range_,
        if_range=if_range,
    ).parsed


async def asyncio_detailed(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Response[Error | File]:
    """The output zip archive

     Supports a single byte range (`Range: bytes=a-b`, `bytes=a-`,
    `bytes=-n`), answered 206 with `Content-Range`; an unsatisfiable range
    is a 416. `If-Range` with the archive's ETag makes the range
    conditional: when it does not match, the whole archive is sent (200).

    Args:
        task_id (str):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        range_=range_,
        if_range=if_range,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Error | File | None:
    """The output zip archive

     Supports a single byte range (`Range: bytes=a-b`, `bytes=a-`,
    `bytes=-n`), answered 206 with `Content-Range`; an unsatisfiable range
    is a 416. `If-Range` with the archive's ETag makes the range
    conditional: when it does not match, the whole archive is sent (200).

    Args:
        task_id (str):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return (
        await asyncio_detailed(
            task_id=task_id,
            client=client,
            range_=range_,
            if_range=if_range,
        )
    ).parsed
