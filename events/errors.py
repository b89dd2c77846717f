"""Why an event could not be read. `field` is a dotted path such as `data.area_km2.bound`."""


class InvalidEvent(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
