from enum import StrEnum


class GCloudExecuterHostType(StrEnum):
    GCLOUD = "gcloud"

    def __str__(self) -> str:
        return str(self.value)
