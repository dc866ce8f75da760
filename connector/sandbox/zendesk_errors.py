"""The stand-in's ``422 RecordInvalid``, shared by the ticket and ticket-field rules."""


class RecordInvalid(Exception):
    def __init__(self, details: dict[str, str]):
        super().__init__("Record validation errors")
        self.details = details

    def body(self) -> dict:
        return {"error": "RecordInvalid", "description": "Record validation errors",
                "details": {k: [{"description": v, "error": "InvalidValue"}]
                            for k, v in self.details.items()}}
