from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_error import HTTPError
from ...models.http_validation_error import HTTPValidationError
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    task_id: str,
    *,
    filename: list[str] | Unset = UNSET,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(range_, Unset):
        headers["Range"] = range_

    if not isinstance(if_range, Unset):
        headers["If-Range"] = if_range

    params: dict[str, Any] = {}

    json_filename: list[str] | Unset = UNSET
    if not isinstance(filename, Unset):
        json_filename = filename

    params["filename"] = json_filename

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/tasks/{task_id}/output".format(
            task_id=quote(str(task_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | File | HTTPError | HTTPValidationError | None:
    if response.status_code == 200:
        response_200 = response.json()
        return response_200

    if response.status_code == 206:
        response_206 = File(payload=BytesIO(response.content))

        return response_206

    if response.status_code == 401:
        response_401 = HTTPError.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = HTTPError.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = HTTPError.from_dict(response.json())

        return response_409

    if response.status_code == 416:
        response_416 = HTTPError.from_dict(response.json())

        return response_416

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
) -> Response[Any | File | HTTPError | HTTPValidationError]:
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
    filename: list[str] | Unset = UNSET,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Response[Any | File | HTTPError | HTTPValidationError]:
    """Download Task Output

     The output zip. Without `filename`: the full archive (`output.json`
    and the files under `artifacts/`). With `filename` (repeatable,
    `?filename=a&filename=b`, names as `output/list` gives them): a subset
    archive holding just those files at its root.

    Extension `byte-ranges`: a single byte range (`Range: bytes=a-b`,
    `bytes=a-`, `bytes=-n`) is answered 206 with `Content-Range`; an
    unsatisfiable one 416. `If-Range` with the archive's `ETag` makes the
    range conditional (the whole archive, 200, when it does not match). A
    server without it answers 200 with the whole archive.

    Args:
        task_id (str):
        filename (list[str] | Unset):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | File | HTTPError | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        filename=filename,
        range_=range_,
        if_range=if_range,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    client: AuthenticatedClient | Client,
    task_id: str,
    *,
    filename: list[str] | Unset = UNSET,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Any | File | HTTPError | HTTPValidationError | None:
    """Download Task Output

     The output zip. Without `filename`: the full archive (`output.json`
    and the files under `artifacts/`). With `filename` (repeatable,
    `?filename=a&filename=b`, names as `output/list` gives them): a subset
    archive holding just those files at its root.

    Extension `byte-ranges`: a single byte range (`Range: bytes=a-b`,
    `bytes=a-`, `bytes=-n`) is answered 206 with `Content-Range`; an
    unsatisfiable one 416. `If-Range` with the archive's `ETag` makes the
    range conditional (the whole archive, 200, when it does not match). A
    server without it answers 200 with the whole archive.

    Args:
        task_id (str):
        filename (list[str] | Unset):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | File | HTTPError | HTTPValidationError
    """

    return sync_detailed(
        task_id=task_id,
        client=client,
        filename=filename,
        range_=range_,
        if_range=if_range,
    ).parsed


async def asyncio_detailed(
    client: AuthenticatedClient | Client,
    task_id: str,
    *,
    filename: list[str] | Unset = UNSET,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Response[Any | File | HTTPError | HTTPValidationError]:
    """Download Task Output

     The output zip. Without `filename`: the full archive (`output.json`
    and the files under `artifacts/`). With `filename` (repeatable,
    `?filename=a&filename=b`, names as `output/list` gives them): a subset
    archive holding just those files at its root.

    Extension `byte-ranges`: a single byte range (`Range: bytes=a-b`,
    `bytes=a-`, `bytes=-n`) is answered 206 with `Content-Range`; an
    unsatisfiable one 416. `If-Range` with the archive's `ETag` makes the
    range conditional (the whole archive, 200, when it does not match). A
    server without it answers 200 with the whole archive.

    Args:
        task_id (str):
        filename (list[str] | Unset):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | File | HTTPError | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        filename=filename,
        range_=range_,
        if_range=if_range,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    client: AuthenticatedClient | Client,
    task_id: str,
    *,
    filename: list[str] | Unset = UNSET,
    range_: str | Unset = UNSET,
    if_range: str | Unset = UNSET,
) -> Any | File | HTTPError | HTTPValidationError | None:
    """Download Task Output

     The output zip. Without `filename`: the full archive (`output.json`
    and the files under `artifacts/`). With `filename` (repeatable,
    `?filename=a&filename=b`, names as `output/list` gives them): a subset
    archive holding just those files at its root.

    Extension `byte-ranges`: a single byte range (`Range: bytes=a-b`,
    `bytes=a-`, `bytes=-n`) is answered 206 with `Content-Range`; an
    unsatisfiable one 416. `If-Range` with the archive's `ETag` makes the
    range conditional (the whole archive, 200, when it does not match). A
    server without it answers 200 with the whole archive.

    Args:
        task_id (str):
        filename (list[str] | Unset):
        range_ (str | Unset):
        if_range (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | File | HTTPError | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            task_id=task_id,
            client=client,
            filename=filename,
            range_=range_,
            if_range=if_range,
        )
    ).parsed
