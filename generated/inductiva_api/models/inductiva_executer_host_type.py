from enum import StrEnum


class InductivaExecuterHostType(StrEnum):
    INDUCTIVA_HARDWARE = "inductiva-hardware"

    def __str__(self) -> str:
        return str(self.value)
