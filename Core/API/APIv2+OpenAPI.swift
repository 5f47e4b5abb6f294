extension APIv2 {
    /// The OpenAPI 3.1 document of APIv2, `Core/API/openapi.json`, compiled into the binary and
    /// served at `/api/v2/openapi.json`. Validated by `openapi-spec-validator`, and every answer the
    /// end-to-end tests get is checked against it by `openapi-core` (`Tests/Support/openapi_check.py`):
    /// change the routes and the file together.
    static let openAPI = String(decoding: PackageResources.openapi_json, as: UTF8.self)
}
