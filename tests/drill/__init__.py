"""The maintainer drill's material: the real API's changes and the spec variants built from them."""
