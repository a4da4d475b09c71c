"""The stdlib readers of output files: they agree with NumPy and the mock's writers, and
refuse malformed files with an OutputFileError naming the file."""

from __future__ import annotations

import io
import pathlib
import struct
import zipfile
import zlib

import numpy as np
import pytest
from inductiva_mock.runners._matlab import write_mat
from inductiva_mock.runners._netcdf import NcVariable, write_netcdf
from inductiva_mock.runners._npy import write_npy, write_npz
from inductiva_mock.runners._vtk import VtkArray, VtkData, write_vtk

from inductiva.errors import OutputFileError
from inductiva.outputs._foam import read_field, read_table
from inductiva.outputs._matlab import read_mat
from inductiva.outputs._netcdf import read_netcdf
from inductiva.outputs._npy import read_npy, read_npz
from inductiva.outputs._vtk import read_vtk
from inductiva.outputs.fenicsx import read_xdmf
from inductiva.outputs.gromacs import read_xvg

# -- NPY / NPZ -----------------------------------------------------------------


@pytest.mark.parametrize(
    "array",
    [
        np.arange(7, dtype="<f8") * 0.5,
        np.arange(12, dtype=">f4").reshape(3, 4),
        np.asfortranarray(np.arange(24, dtype="<i8").reshape(2, 3, 4)),
        np.array([True, False, True]),
        np.array(3.25),
        np.arange(6, dtype="<u2").reshape(2, 3),
    ],
    ids=["f8", "f4-big-endian-2d", "i8-fortran-3d", "bool", "0-d", "u2"],
)
def test_npy_reader_agrees_with_numpy(tmp_path: pathlib.Path, array: np.ndarray) -> None:
    """An array saved by numpy.save reads back with the same shape and values (C order)."""
    path = tmp_path / "a.npy"
    np.save(path, array)
    read = read_npy(path)
    assert read.shape == array.shape
    assert read.tolist() == array.tolist()


def test_npy_version_2_header(tmp_path: pathlib.Path) -> None:
    """A format 2.0 file (4-byte header length) is read too."""
    path = tmp_path / "v2.npy"
    with path.open("wb") as fh:
        np.lib.format.write_array(fh, np.arange(3.0), version=(2, 0))
    assert read_npy(path).values == (0.0, 1.0, 2.0)


def test_mock_npy_and_npz_are_real_numpy_files(tmp_path: pathlib.Path) -> None:
    """The mock's writers produce files numpy.load opens, with the values written."""
    write_npy(tmp_path / "r.npy", [0.5, 1.5, 2.25])
    loaded = np.load(tmp_path / "r.npy")
    assert loaded.dtype == np.float64 and loaded.tolist() == [0.5, 1.5, 2.25]
    write_npz(tmp_path / "f.npz", {"b": (list(range(6)), (2, 3)), "c": ([1.0], (1,))})
    with np.load(tmp_path / "f.npz") as archive:
        assert archive["b"].shape == (2, 3) and archive["b"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert read_npz(tmp_path / "f.npz")["b"].tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 not numpy", "not a NumPy .npy file"),
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'", "truncated"),
        (b"\x93NUMPY\x09\x00\x00\x00", "version 9"),
    ],
    ids=["not-npy", "truncated-header", "unknown-version"],
)
def test_npy_malformed_headers_are_refused(
    tmp_path: pathlib.Path, data: bytes, message: str
) -> None:
    """A file that is not a readable .npy raises OutputFileError naming it and the problem."""
    path = tmp_path / "bad.npy"
    path.write_bytes(data)
    with pytest.raises(OutputFileError, match=message) as info:
        read_npy(path)
    assert "bad.npy" in str(info.value)


def test_npy_object_arrays_and_short_data_are_refused(tmp_path: pathlib.Path) -> None:
    """Pickled object arrays are never unpickled; missing values are reported as truncation."""
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(OutputFileError, match="not supported"):
        read_npy(tmp_path / "o.npy")
    np.save(tmp_path / "t.npy", np.arange(100.0))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:-8])
    with pytest.raises(OutputFileError, match="truncated"):
        read_npy(tmp_path / "t.npy")


def test_missing_output_file_says_how_to_get_it(tmp_path: pathlib.Path) -> None:
    """A file that is not there raises OutputFileError pointing at download_outputs()."""
    with pytest.raises(OutputFileError, match=r"does not exist.*download_outputs"):
        read_npy(tmp_path / "rmsf_values.npy")


# -- legacy VTK ---------------------------------------------------------------

SURFACE = VtkData(
    "surface",
    [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.5)],
    polygons=[[0, 1, 2], [0, 2, 3]],
    point_data=[VtkArray("p", 1, [1.0, 2.0, 3.0, 4.0]), VtkArray("U", 3, [0.5] * 12)],
    cell_data=[VtkArray("p", 1, [2.0, 3.0])],
)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "ascii"])
def test_vtk_polydata_round_trip(tmp_path: pathlib.Path, binary: bool) -> None:
    """Points, polygons and point/cell arrays written by the mock read back exactly."""
    write_vtk(tmp_path / "s.vtk", SURFACE, binary=binary)
    data = read_vtk(tmp_path / "s.vtk")
    assert data.dataset == "POLYDATA" and data.points == tuple(SURFACE.points)
    assert data.cells["POLYGONS"] == ((0, 1, 2), (0, 2, 3))
    assert data.point_data["p"].values == (1.0, 2.0, 3.0, 4.0)
    assert data.point_data["U"].tuples()[0] == (0.5, 0.5, 0.5)
    assert data.cell_data["p"].values == (2.0, 3.0)


def test_vtk_particles_with_field_arrays(tmp_path: pathlib.Path) -> None:
    """An unstructured grid of vertex cells with FIELD arrays (SPH particles) reads back."""
    data = VtkData(
        "particles",
        [(0.0, 0.0, 0.0), (0.1, 0.2, 0.3)],
        particles=True,
        point_data=[VtkArray("velocity", 3, [1, 2, 3, 4, 5, 6]), VtkArray("density", 1, [1, 2])],
        field_data=True,
    )
    write_vtk(tmp_path / "p.vtk", data)
    read = read_vtk(tmp_path / "p.vtk")
    assert read.dataset == "UNSTRUCTURED_GRID" and len(read.cells["CELLS"]) == 2
    assert read.point_data["velocity"].tuples() == [(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)]
    assert read.point_data["density"].values == (1.0, 2.0)


def test_vtk_version_5_offsets_layout(tmp_path: pathlib.Path) -> None:
    """VTK 9's layout (OFFSETS/CONNECTIVITY, METADATA) is read like the 4.x one."""
    (tmp_path / "v5.vtk").write_text(
        "# vtk DataFile Version 5.1\nslice\nASCII\nDATASET POLYDATA\n"
        "POINTS 4 float\n0 0 0 1 0 0 1 1 0 0 1 0\n"
        "POLYGONS 3 6\nOFFSETS vtktypeint64\n0 3 6\nCONNECTIVITY vtktypeint64\n0 1 2 0 2 3\n"
        "POINT_DATA 4\nSCALARS p float\nLOOKUP_TABLE default\n1 2 3 4\n"
        "METADATA\nINFORMATION 0\n\n"
    )
    data = read_vtk(tmp_path / "v5.vtk")
    assert data.cells["POLYGONS"] == ((0, 1, 2), (0, 2, 3))
    assert data.point_data["p"].values == (1.0, 2.0, 3.0, 4.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a vtk file\n", "not a legacy VTK file"),
        ("# vtk DataFile Version 4.2\nt\nASCII\nDATASET STRUCTURED_POINTS\n", "only DATASET"),
        ("# vtk DataFile Version 4.2\nt\nASCII\nDATASET POLYDATA\nPOINTS 3 float\n0 0 0\n", "ends"),
        (
            "# vtk DataFile Version 4.2\nt\nASCII\nDATASET POLYDATA\nPOLYGONS 1 3\n3 0 1\n",
            "runs past",
        ),
        (
            "# vtk DataFile Version 4.2\nt\nASCII\nDATASET POLYDATA\nPOLYGONS 2 4\n3 0 1 2\n",
            "1 cells",
        ),
        (
            "# vtk DataFile Version 4.2\nt\nASCII\nDATASET POLYDATA\nPOINTS 1 float\n0 x 0\n",
            "number",
        ),
        ("# vtk DataFile Version 4.2\nt\nXML\nDATASET POLYDATA\n", "neither ASCII nor BINARY"),
    ],
    ids=["not-vtk", "dataset", "truncated", "cell-size", "cell-count", "not-a-number", "format"],
)
def test_vtk_malformed_files_are_refused(tmp_path: pathlib.Path, text: str, message: str) -> None:
    """A malformed legacy VTK file raises OutputFileError saying what is wrong."""
    (tmp_path / "bad.vtk").write_text(text)
    with pytest.raises(OutputFileError, match=message):
        read_vtk(tmp_path / "bad.vtk")


def test_vtk_truncated_binary_block(tmp_path: pathlib.Path) -> None:
    """A BINARY file cut inside its values is reported as truncated."""
    write_vtk(tmp_path / "s.vtk", SURFACE)
    data = (tmp_path / "s.vtk").read_bytes()
    (tmp_path / "s.vtk").write_bytes(data[: data.index(b"POINTS") + 40])
    with pytest.raises(OutputFileError, match="truncated"):
        read_vtk(tmp_path / "s.vtk")


# -- MATLAB level 5 -------------------------------------------------------------


def test_mat_round_trip_rows_and_names(tmp_path: pathlib.Path) -> None:
    """Matrices written by the mock read back with their names, shapes and row layout."""
    write_mat(
        tmp_path / "m.mat", {"Xp": [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]], "Watlev_000001_500": [[7.0]]}
    )
    read = read_mat(tmp_path / "m.mat")
    assert read["Xp"].shape == (2, 3) and read["Xp"].rows() == [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    assert read["Watlev_000001_500"].values == (7.0,)


def _element(kind: int, payload: bytes) -> bytes:
    return struct.pack("<II", kind, len(payload)) + payload + b"\0" * (-len(payload) % 8)


def test_mat_compressed_small_tags_and_skipped_strings(tmp_path: pathlib.Path) -> None:
    """Compressed variables, small-format tags (short names, int data) and char arrays work."""
    name_tag = struct.pack("<HH", 1, 2) + b"Yp\0\0"  # miINT8, 2 bytes, in the tag
    body = (
        _element(6, struct.pack("<II", 12, 0))  # flags: mxINT32_CLASS
        + _element(5, struct.pack("<ii", 1, 2))
        + name_tag
        + _element(5, struct.pack("<ii", 4, 5))
    )
    matrix = _element(14, body)
    chars = _element(  # a char array (mxCHAR_CLASS): skipped
        14,
        _element(6, struct.pack("<II", 4, 0))
        + _element(5, struct.pack("<ii", 1, 1))
        + _element(1, b"title")
        + _element(4, b"a\0"),
    )
    header = b"MATLAB 5.0 MAT-file".ljust(116) + b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
    compressed = zlib.compress(matrix)
    data = header + struct.pack("<II", 15, len(compressed)) + compressed + chars
    (tmp_path / "c.mat").write_bytes(data)
    read = read_mat(tmp_path / "c.mat")
    assert list(read) == ["Yp"] and read["Yp"].values == (4, 5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MATLAB 7.3 MAT-file" + b" " * 200, "HDF5"),
        (b"hello", "not a MATLAB level-5"),
        (b"MATLAB 5.0 MAT-file".ljust(126) + b"XX", "byte-order"),
    ],
    ids=["v7.3", "not-mat", "endian"],
)
def test_mat_malformed_files_are_refused(tmp_path: pathlib.Path, data: bytes, message: str) -> None:
    """Other MAT versions and non-MAT files raise OutputFileError."""
    (tmp_path / "bad.mat").write_bytes(data)
    with pytest.raises(OutputFileError, match=message):
        read_mat(tmp_path / "bad.mat")


def test_mat_truncated_matrix(tmp_path: pathlib.Path) -> None:
    """A file cut inside a matrix is reported as truncated."""
    write_mat(tmp_path / "m.mat", {"Xp": [[0.0, 1.0, 2.0]]})
    data = (tmp_path / "m.mat").read_bytes()
    (tmp_path / "m.mat").write_bytes(data[:-20])
    with pytest.raises(OutputFileError, match="truncated"):
        read_mat(tmp_path / "m.mat")


# -- NetCDF-3 ---------------------------------------------------------------------


def test_netcdf_fixed_and_record_variables(tmp_path: pathlib.Path) -> None:
    """Fixed and record (unlimited-dimension) variables and attributes read back in C order."""
    write_netcdf(
        tmp_path / "x.nc",
        [("nx", 3), ("ny", 2), ("time", None)],
        [
            NcVariable("globalx", ("ny", "nx"), [0, 1, 2, 3, 4, 5], {"units": "m"}),
            NcVariable("time", ("time",), [0.0, 10.0]),
            NcVariable("zs", ("time", "ny", "nx"), [float(i) for i in range(12)]),
        ],
        {"Conventions": "CF-1.6"},
    )
    nc = read_netcdf(tmp_path / "x.nc")
    assert nc.dimensions == {"nx": 3, "ny": 2, "time": 0}
    assert nc.attributes == {"Conventions": "CF-1.6"}
    assert nc.variables["globalx"].values == (0, 1, 2, 3, 4, 5)
    assert nc.variables["globalx"].attributes == {"units": "m"}
    assert nc.variables["time"].values == (0.0, 10.0)
    zs = nc.variables["zs"]
    assert zs.shape == (2, 2, 3) and zs.values == tuple(float(i) for i in range(12))


def test_netcdf_other_formats_are_refused(tmp_path: pathlib.Path) -> None:
    """NetCDF-4 (HDF5) and other files raise OutputFileError; truncation is reported."""
    (tmp_path / "h.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(OutputFileError, match="HDF5"):
        read_netcdf(tmp_path / "h.nc")
    write_netcdf(tmp_path / "t.nc", [("n", 4)], [NcVariable("v", ("n",), [1, 2, 3, 4])])
    (tmp_path / "t.nc").write_bytes((tmp_path / "t.nc").read_bytes()[:-8])
    with pytest.raises(OutputFileError, match="truncated"):
        read_netcdf(tmp_path / "t.nc")


# -- OpenFOAM, .xvg, XDMF -----------------------------------------------------------

FIELD = "FoamFile\n{{\n    format ascii;\n    class volScalarField;\n}}\ninternalField   {};\n"


@pytest.mark.parametrize(
    ("internal", "uniform", "values"),
    [
        ("uniform 290", True, (290.0,)),
        ("uniform (20 0 0)", True, ((20.0, 0.0, 0.0),)),
        ("nonuniform List<scalar>\n3\n(\n1\n2.5\n-3e-2\n)\n", False, (1.0, 2.5, -0.03)),
        ("nonuniform List<vector> 2((1 0 0) (0 1 0))", False, ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))),
        ("nonuniform List<scalar> 3{7}", False, (7.0, 7.0, 7.0)),
    ],
    ids=["uniform", "uniform-vector", "list", "vector-list", "repeated"],
)
def test_foam_fields(
    tmp_path: pathlib.Path, internal: str, uniform: bool, values: tuple[object, ...]
) -> None:
    """An internalField in each ASCII form gives its cell values."""
    (tmp_path / "T").write_text(FIELD.format(internal))
    field = read_field(tmp_path / "T")
    assert field.uniform is uniform and field.values == values


@pytest.mark.parametrize(
    ("internal", "message"),
    [
        ("nonuniform List<scalar>\n3\n(\n1\n2\n)\n", "2 values where the list announces 3"),
        ("nonuniform List<scalar> 2 (1 2", "not closed"),
        ("uniform $airTemperature", "unreadable uniform value"),
    ],
    ids=["count", "unclosed", "macro"],
)
def test_foam_malformed_fields(tmp_path: pathlib.Path, internal: str, message: str) -> None:
    """A field that does not parse raises OutputFileError saying why."""
    (tmp_path / "T").write_text(FIELD.format(internal))
    with pytest.raises(OutputFileError, match=message):
        read_field(tmp_path / "T")


def test_foam_binary_fields_and_tables(tmp_path: pathlib.Path) -> None:
    """Binary fields are refused; a function object's table gives its columns and rows."""
    (tmp_path / "U").write_text(
        "FoamFile { format binary; }\ninternalField nonuniform List<vector> 1 (x);"
    )
    with pytest.raises(OutputFileError, match="binary"):
        read_field(tmp_path / "U")
    (tmp_path / "f.dat").write_text(
        "# Force coefficients\n# Time\tCm\tCd\n1\t0.1\t0.5\n2\t0.2\t0.4\n"
    )
    assert read_table(tmp_path / "f.dat") == (
        ["Time", "Cm", "Cd"],
        [["1", "0.1", "0.5"], ["2", "0.2", "0.4"]],
    )


def test_xvg_table_and_malformed_row(tmp_path: pathlib.Path) -> None:
    """An .xvg gives its labels, legends and rows; a non-numeric row is refused."""
    (tmp_path / "e.xvg").write_text(
        '# gmx\n@    title "Energies"\n@    xaxis  label "Time (ps)"\n'
        '@    yaxis  label "(kJ/mol)"\n'
        '@TYPE xy\n@ s0 legend "Potential"\n   0.0  -10.5\n   1.0  -11.0\n'
    )
    table = read_xvg(tmp_path / "e.xvg")
    assert (table.title, table.xlabel, table.legends) == ("Energies", "Time (ps)", ("Potential",))
    assert table.rows == ((0.0, -10.5), (1.0, -11.0))
    (tmp_path / "bad.xvg").write_text("0.0 abc\n")
    with pytest.raises(OutputFileError, match="line 1"):
        read_xvg(tmp_path / "bad.xvg")


def test_xdmf_inline_data_and_hdf5_refused(tmp_path: pathlib.Path) -> None:
    """Inline XDMF data items are read; values kept in an HDF5 file raise OutputFileError."""
    grid = (
        '<Xdmf><Domain><Grid Name="mesh"><Topology TopologyType="Triangle">'
        '<DataItem Dimensions="1 3" Format="XML">0 1 2</DataItem></Topology>'
        '<Geometry GeometryType="XY">'
        '<DataItem Dimensions="3 2" Format="{fmt}">0 0 1 0 0 1</DataItem>'
        '</Geometry><Attribute Name="von_mises" Center="Cell">'
        '<DataItem Dimensions="1 1" Format="XML">2.5</DataItem></Attribute></Grid></Domain></Xdmf>'
    )
    (tmp_path / "r.xdmf").write_text(grid.format(fmt="XML"))
    read = read_xdmf(tmp_path / "r.xdmf")
    assert read.points == ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)) and read.cells == ((0, 1, 2),)
    assert read.attributes["von_mises"].values == (2.5,)
    (tmp_path / "h.xdmf").write_text(grid.format(fmt="HDF"))
    with pytest.raises(OutputFileError, match="HDF"):
        read_xdmf(tmp_path / "h.xdmf")


def test_npz_that_is_not_a_zip(tmp_path: pathlib.Path) -> None:
    """An .npz that is not a zip archive raises OutputFileError."""
    (tmp_path / "f.npz").write_bytes(b"not a zip")
    with pytest.raises(OutputFileError, match=r"not an \.npz"):
        read_npz(tmp_path / "f.npz")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.npy", b"garbage")
    (tmp_path / "g.npz").write_bytes(buf.getvalue())
    with pytest.raises(OutputFileError, match=r"g\.npz/a\.npy"):
        read_npz(tmp_path / "g.npz")
