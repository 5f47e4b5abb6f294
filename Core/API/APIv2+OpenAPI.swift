extension APIv2 {
    /// The OpenAPI 3.1 document of APIv2, served at `/api/v2/openapi.json`. Validated by
    /// `openapi-spec-validator`, and every answer the end-to-end tests get is checked against it by
    /// `openapi-core` (`Tests/Support/openapi_check.py`): change the routes and this together.
    static let openAPI = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Swiftlet — SMSEagle APIv2",
            "version": "2.0.0",
            "description": "SMSEagle's APIv2 as Swiftlet serves it; see docs/api/apiv2.md."
          },
          "servers": [{"url": "/api/v2"}],
          "security": [{"accessToken": []}, {"bearer": []}],
          "paths": {
            "/messages/sms": {
              "post": {
                "operationId": "sendSMS",
                "summary": "Send an SMS to numbers, contacts and groups",
                "description": "Needs send_sms (and send_tocontact, send_togroup). One item per recipient.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SendSMS"}}}
                },
                "responses": {
                  "200": {
                    "description": "Queued (one item per recipient; some may be errors)",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/SendResult"}}
                      }
                    }
                  },
                  "400": {
                    "description": "The body is wrong, or no recipient could be queued",
                    "content": {
                      "application/json": {
                        "schema": {
                          "oneOf": [
                            {"$ref": "#/components/schemas/Error"},
                            {"type": "array", "items": {"$ref": "#/components/schemas/SendResult"}}
                          ]
                        }
                      }
                    }
                  },
                  "413": {
                    "description": "The body is larger than 1 MiB",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/messages/{folder}": {
              "get": {
                "operationId": "listMessages",
                "summary": "Messages of a folder, newest first",
                "description": "Needs read_sms. Outgoing folders: the user's own messages (an admin's: everyone's).",
                "parameters": [
                  {
                    "name": "folder",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "enum": ["inbox", "outbox", "sentitems", "sendingerror"]}
                  },
                  {
                    "name": "id_from",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "lowest id"
                  },
                  {
                    "name": "id_to",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "highest id"
                  },
                  {
                    "name": "date_from",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "string"},
                    "description": "ISO 8601, or YYYY-MM-DD HH:MM:SS in the gateway's time zone"
                  },
                  {
                    "name": "date_to",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "string"},
                    "description": "as date_from"
                  },
                  {
                    "name": "phone_number",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "string"},
                    "description": "sender (inbox) or recipient"
                  },
                  {
                    "name": "unread",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "string", "enum": ["0", "1", "true", "false"]},
                    "description": "inbox: only unread"
                  },
                  {
                    "name": "modem_no",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "only this modem's messages"
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
                    "description": "at most this many"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The messages",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "oneOf": [
                              {"$ref": "#/components/schemas/IncomingMessage"},
                              {"$ref": "#/components/schemas/OutgoingMessage"}
                            ]
                          }
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No message matches",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/messages/{folder}/{id}": {
              "get": {
                "operationId": "getMessage",
                "summary": "One message",
                "description": "Needs read_sms.",
                "parameters": [
                  {
                    "name": "folder",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "enum": ["inbox", "outbox", "sentitems", "sendingerror"]}
                  },
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "The message",
                    "content": {
                      "application/json": {
                        "schema": {
                          "oneOf": [
                            {"$ref": "#/components/schemas/IncomingMessage"},
                            {"$ref": "#/components/schemas/OutgoingMessage"}
                          ]
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such message in that folder (or not the user's)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "delete": {
                "operationId": "deleteMessage",
                "summary": "Delete one message",
                "description": "Needs delete_sms. A message a modem has taken cannot be called back.",
                "parameters": [
                  {
                    "name": "folder",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "enum": ["inbox", "outbox", "sentitems", "sendingerror"]}
                  },
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "Deleted",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such message in that folder (or not the user's)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "409": {
                    "description": "The message is being sent",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/modem/signal": {
              "get": {
                "operationId": "signalOfFirstModem",
                "summary": "Signal strength of the first modem",
                "description": "Needs get_gsmsignal. The same as /modem/signal/1, as on SMSEagle.",
                "responses": {
                  "200": {
                    "description": "Modem 1's signal",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Signal"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/modem/signal/{modem_no}": {
              "get": {
                "operationId": "signalOfModem",
                "summary": "Signal strength of one modem",
                "description": "Needs get_gsmsignal.",
                "parameters": [
                  {
                    "name": "modem_no",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "1…N in the order of the configuration's modems"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The modem's signal",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Signal"}}}
                  },
                  "400": {
                    "description": "There is no such modem",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/modem/state/{modem_no}": {
              "get": {
                "operationId": "stateOfModem",
                "summary": "Whether a modem is enabled",
                "description": "Needs get_modem_state.",
                "parameters": [
                  {
                    "name": "modem_no",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "1…N in the order of the configuration's modems"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The modem's state",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModemState"}}}
                  },
                  "400": {
                    "description": "There is no such modem",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "put": {
                "operationId": "setModemState",
                "summary": "Enable or disable a modem (kept across restarts)",
                "description": "Needs set_modem_state.",
                "parameters": [
                  {"name": "modem_no", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "required": ["state"],
                        "properties": {"state": {"type": "string", "enum": ["enabled", "disabled"]}}
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The modem's state",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModemState"}}}
                  },
                  "400": {
                    "description": "No such modem, or a wrong state",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/contacts": {
              "get": {
                "operationId": "listContacts",
                "summary": "The user's contacts",
                "description": "Needs contact_read.",
                "responses": {
                  "200": {
                    "description": "The contacts",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}
                      }
                    }
                  },
                  "404": {
                    "description": "The user has none",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "post": {
                "operationId": "createContact",
                "summary": "Add a contact",
                "description": "Needs contact_create.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewContact"}}}
                },
                "responses": {
                  "201": {
                    "description": "Added",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}
                  },
                  "400": {
                    "description": "A field is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/groups": {
              "get": {
                "operationId": "listGroups",
                "summary": "The user's groups",
                "description": "Needs group_read.",
                "responses": {
                  "200": {
                    "description": "The groups",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}}
                      }
                    }
                  },
                  "404": {
                    "description": "The user has none",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "post": {
                "operationId": "createGroup",
                "summary": "Add a group",
                "description": "Needs group_create. Names are unique.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewGroup"}}}
                },
                "responses": {
                  "201": {
                    "description": "Added",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Group"}}}
                  },
                  "400": {
                    "description": "A field is wrong, or the name is taken",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/groups/{id}/contacts": {
              "get": {
                "operationId": "listGroupMembers",
                "summary": "Members of one of the user's groups",
                "description": "Needs group_members_read.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "The members",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such group, or it has no members",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "post": {
                "operationId": "addGroupMembers",
                "summary": "Add contacts to a group",
                "description": "Needs group_addcontact.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "required": ["contacts"],
                        "properties": {"contacts": {"type": "array", "items": {"type": "integer"}, "minItems": 1}}
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The members now",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}
                      }
                    }
                  },
                  "400": {
                    "description": "A contact is not the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such group of the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openAPI",
                "summary": "This document",
                "security": [],
                "responses": {
                  "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}}
                  }
                }
              }
            },
            "/webhooks": {
              "post": {
                "operationId": "addWebhook",
                "summary": "Add a webhook (a Swiftlet addition)",
                "description": "Needs read_sms. See docs/api/webhooks.md.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewWebhook"}}}
                },
                "responses": {
                  "201": {
                    "description": "Added; the secret is shown only here",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookWithSecret"}}}
                  },
                  "400": {
                    "description": "A field is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "get": {
                "operationId": "listWebhooks",
                "summary": "The user's webhooks (an admin's: all)",
                "description": "Needs read_sms.",
                "responses": {
                  "200": {
                    "description": "The webhooks",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}
                      }
                    }
                  },
                  "404": {
                    "description": "There are none",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/webhooks/{id}": {
              "get": {
                "operationId": "getWebhook",
                "summary": "One webhook with its delivery counts",
                "description": "Needs read_sms.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "The webhook",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Webhook"}}}
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such webhook of the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "delete": {
                "operationId": "deleteWebhook",
                "summary": "Remove a webhook and its queue",
                "description": "Needs read_sms.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "Removed",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object",
                          "required": ["id", "status"],
                          "properties": {"id": {"type": "integer"}, "status": {"const": "deleted"}}
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such webhook of the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/webhooks/{id}/deliveries": {
              "get": {
                "operationId": "listWebhookDeliveries",
                "summary": "A webhook's deliveries, newest first",
                "description": "Needs read_sms.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
                  {
                    "name": "state",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "string", "enum": ["pending", "delivered", "failed"]}
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The deliveries",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookDelivery"}}
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such webhook, or no delivery matches",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/messages/mms": {
              "post": {
                "operationId": "sendMMS",
                "summary": "Send an MMS (refused with 503 while no modem can send MMS, which is always so yet)",
                "description": "Needs send_sms. At most 300 KB of files.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SendMMS"}}}
                },
                "responses": {
                  "200": {
                    "description": "Queued (one item per recipient; some may be errors)",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/SendResult"}}
                      }
                    }
                  },
                  "400": {
                    "description": "The body is wrong, or no recipient could be queued",
                    "content": {
                      "application/json": {
                        "schema": {
                          "oneOf": [
                            {"$ref": "#/components/schemas/Error"},
                            {"type": "array", "items": {"$ref": "#/components/schemas/SendResult"}}
                          ]
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "No modem of this gateway can send MMS; nothing was stored",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "413": {
                    "description": "The body is larger than 1 MiB",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/calls/ring": {
              "post": {
                "operationId": "ring",
                "summary": "Queue a wake-up call to each recipient",
                "description": "Needs call_with_termination.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ring"}}}
                },
                "responses": {
                  "200": {
                    "description": "Queued (one item per recipient; some may be errors)",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/SendResult"}}
                      }
                    }
                  },
                  "400": {
                    "description": "The body is wrong, or no recipient could be queued",
                    "content": {
                      "application/json": {
                        "schema": {
                          "oneOf": [
                            {"$ref": "#/components/schemas/Error"},
                            {"type": "array", "items": {"$ref": "#/components/schemas/SendResult"}}
                          ]
                        }
                      }
                    }
                  },
                  "413": {
                    "description": "The body is larger than 1 MiB",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/calls/tts": {
              "post": {
                "operationId": "tts",
                "summary": "A text-to-speech call (needs a voice plugin)",
                "description": "Needs call_with_termination.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TTS"}}}
                },
                "responses": {
                  "400": {
                    "description": "The body is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {
                    "description": "No voice plugin is enabled",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/calls/tts_advanced": {
              "post": {
                "operationId": "tts_advanced",
                "summary": "A text-to-speech call (needs a voice plugin)",
                "description": "Needs call_with_termination.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TTS"}}}
                },
                "responses": {
                  "400": {
                    "description": "The body is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {
                    "description": "No voice plugin is enabled",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/contacts/{id}": {
              "put": {
                "operationId": "updateContact",
                "summary": "Change a contact (fields left out stay)",
                "description": "Needs contact_update.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContactChange"}}}
                },
                "responses": {
                  "200": {
                    "description": "Changed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}
                  },
                  "400": {
                    "description": "A field is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such contact of the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "delete": {
                "operationId": "deleteContact",
                "summary": "Delete a contact",
                "description": "Needs contact_delete.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "Deleted",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Done"}}}
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such contact of the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/groups/{id}": {
              "put": {
                "operationId": "updateGroup",
                "summary": "Change a group",
                "description": "Needs group_update.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GroupChange"}}}
                },
                "responses": {
                  "200": {
                    "description": "Changed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Group"}}}
                  },
                  "400": {
                    "description": "A field is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such group of the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "delete": {
                "operationId": "deleteGroup",
                "summary": "Delete a group",
                "description": "Needs group_delete.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "Deleted",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Done"}}}
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such group of the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/groups/{id}/contacts/{contact_id}": {
              "delete": {
                "operationId": "removeGroupMember",
                "summary": "Take a contact out of a group",
                "description": "Needs group_removecontact.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
                  {
                    "name": "contact_id",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "integer", "minimum": 1}
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Removed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Done"}}}
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such group, or the contact is not in it",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/users": {
              "get": {
                "operationId": "listUsers",
                "summary": "Every API user",
                "description": "Admins only.",
                "responses": {
                  "200": {
                    "description": "The users",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
                      }
                    }
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/NotAdmin"}
                }
              },
              "post": {
                "operationId": "addUser",
                "summary": "Add an API user",
                "description": "Admins only. Permissions default to every method.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewUser"}}}
                },
                "responses": {
                  "201": {
                    "description": "Added",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
                  },
                  "400": {
                    "description": "A field is wrong, or the user exists",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/NotAdmin"}
                }
              }
            },
            "/users/{name}": {
              "put": {
                "operationId": "changeUser",
                "summary": "Change a user's permissions or admin flag",
                "description": "Admins only.",
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserChange"}}}
                },
                "responses": {
                  "200": {
                    "description": "Changed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
                  },
                  "400": {
                    "description": "A field is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such user",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/NotAdmin"}
                }
              },
              "delete": {
                "operationId": "removeUser",
                "summary": "Remove a user and its tokens",
                "description": "Admins only.",
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                  "200": {
                    "description": "Removed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Removed"}}}
                  },
                  "404": {
                    "description": "No such user",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/NotAdmin"}
                }
              }
            },
            "/users/{name}/tokens": {
              "get": {
                "operationId": "listTokens",
                "summary": "A user's tokens (ids only)",
                "description": "Admins only.",
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                  "200": {
                    "description": "The tokens",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}
                      }
                    }
                  },
                  "404": {
                    "description": "No such user, or no token",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/NotAdmin"}
                }
              },
              "post": {
                "operationId": "makeToken",
                "summary": "A new token for a user (shown only here)",
                "description": "Admins only.",
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                  "201": {
                    "description": "Made",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewToken"}}}
                  },
                  "404": {
                    "description": "No such user",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/NotAdmin"}
                }
              }
            },
            "/tokens/{token}": {
              "delete": {
                "operationId": "revokeToken",
                "summary": "Revoke a token by its id",
                "description": "Admins only.",
                "parameters": [{"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                  "200": {
                    "description": "Revoked",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Removed"}}}
                  },
                  "404": {
                    "description": "No such token",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/NotAdmin"}
                }
              }
            },
            "/phonebook/shifts": {
              "get": {
                "operationId": "listShifts",
                "summary": "Every shift (shared by all users)",
                "description": "Needs shift_read.",
                "responses": {
                  "200": {
                    "description": "The shifts",
                    "content": {
                      "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Shift"}}
                      }
                    }
                  },
                  "404": {
                    "description": "There are none",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "post": {
                "operationId": "createShift",
                "summary": "Add a shift",
                "description": "Needs shift_create. Days left out have no hours.",
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewShift"}}}
                },
                "responses": {
                  "201": {
                    "description": "Added",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Shift"}}}
                  },
                  "400": {
                    "description": "A field is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/shifts/{id}": {
              "put": {
                "operationId": "updateShift",
                "summary": "Change a shift (days left out stay; null: no hours)",
                "description": "Needs shift_update.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShiftChange"}}}
                },
                "responses": {
                  "200": {
                    "description": "Changed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Shift"}}}
                  },
                  "400": {
                    "description": "A field is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such shift",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              },
              "delete": {
                "operationId": "deleteShift",
                "summary": "Delete a shift",
                "description": "Needs shift_delete.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": {
                  "200": {
                    "description": "Deleted",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Done"}}}
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such shift",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/shifts/{id}/contacts": {
              "post": {
                "operationId": "addShiftMembers",
                "summary": "Put the user's contacts on a shift",
                "description": "Needs shift_addcontact.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "required": ["contacts"],
                        "properties": {"contacts": {"type": "array", "items": {"type": "integer"}, "minItems": 1}}
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "Added",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShiftMembers"}}}
                  },
                  "400": {
                    "description": "A contact is not the user's",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such shift",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            },
            "/phonebook/shifts/{id}/contacts/{contact_id}": {
              "delete": {
                "operationId": "removeShiftMember",
                "summary": "Take a contact off a shift",
                "description": "Needs shift_removecontact.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
                  {
                    "name": "contact_id",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "integer", "minimum": 1}
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Removed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Done"}}}
                  },
                  "400": {
                    "description": "A parameter is wrong",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "404": {
                    "description": "No such shift, or the contact is not on it",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "403": {"$ref": "#/components/responses/Forbidden"}
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "accessToken": {"type": "apiKey", "in": "header", "name": "access-token"},
              "bearer": {"type": "http", "scheme": "bearer"}
            },
            "schemas": {
              "Error": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
              "SendSMS": {
                "type": "object",
                "required": ["text"],
                "properties": {
                  "to": {"type": "array", "items": {"type": "string"}, "description": "telephone numbers"},
                  "contacts": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "ids of the user's contacts"
                  },
                  "groups": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "ids of the user's groups: every member"
                  },
                  "text": {"type": "string", "minLength": 1, "maxLength": 1530},
                  "priority": {"type": "integer", "minimum": 0, "maximum": 9, "default": 0},
                  "modem_no": {"type": "integer", "minimum": 1},
                  "flash": {"type": "boolean", "default": false},
                  "encoding": {"type": "string", "enum": ["standard", "unicode"], "default": "standard"},
                  "validity": {
                    "type": "string",
                    "description": "5m, 10m, 30m, 1h, 2h, 4h, 12h, 1d, 2d, 5d, 1w, 2w, 4w or max"
                  },
                  "send_after": {"type": "string", "description": "HH:MM:SS in the gateway's time zone"},
                  "send_before": {"type": "string", "description": "HH:MM:SS in the gateway's time zone"},
                  "date": {
                    "type": "string",
                    "description": "send at: ISO 8601, or YYYY-MM-DD HH:MM:SS in the gateway's time zone"
                  }
                }
              },
              "SendResult": {
                "type": "object",
                "required": ["status", "id", "number", "message"],
                "properties": {
                  "status": {"type": "string", "enum": ["queued", "error"]},
                  "id": {"type": ["integer", "null"]},
                  "number": {"type": "string"},
                  "message": {"type": "string"}
                }
              },
              "IncomingMessage": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "folder",
                  "sender",
                  "text",
                  "encoding",
                  "modem_no",
                  "sent_at",
                  "received_at",
                  "read",
                  "oid"
                ],
                "properties": {
                  "id": {"type": "integer"},
                  "folder": {"const": "inbox"},
                  "sender": {"type": "string"},
                  "text": {"type": "string"},
                  "encoding": {"type": "string", "enum": ["standard", "unicode"]},
                  "modem_no": {"type": ["integer", "null"]},
                  "sent_at": {"type": "string", "format": "date-time"},
                  "received_at": {"type": "string", "format": "date-time"},
                  "read": {"type": "boolean"},
                  "oid": {"type": ["string", "null"]}
                }
              },
              "OutgoingMessage": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "folder",
                  "to",
                  "text",
                  "status",
                  "priority",
                  "encoding",
                  "flash",
                  "modem_no",
                  "created_by",
                  "created_at",
                  "send_after",
                  "sent_at",
                  "parts",
                  "attempts",
                  "delivery",
                  "error",
                  "oid",
                  "kind"
                ],
                "properties": {
                  "id": {"type": "integer"},
                  "folder": {"type": "string", "enum": ["outbox", "sentitems", "sendingerror"]},
                  "to": {"type": "string"},
                  "text": {"type": "string"},
                  "status": {"type": "string", "enum": ["queued", "sending", "sent", "failed"]},
                  "priority": {"type": "integer"},
                  "encoding": {"type": "string", "enum": ["standard", "unicode"]},
                  "flash": {"type": "boolean"},
                  "modem_no": {"type": ["integer", "null"]},
                  "created_by": {"type": "string"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "send_after": {"type": "string", "format": "date-time"},
                  "sent_at": {"type": ["string", "null"], "format": "date-time"},
                  "parts": {"type": "integer"},
                  "attempts": {"type": "integer"},
                  "delivery": {"type": ["string", "null"], "enum": ["pending", "delivered", "failed", null]},
                  "error": {"type": ["string", "null"]},
                  "oid": {"type": ["string", "null"]},
                  "kind": {"type": "string", "enum": ["sms", "ussd", "binary", "mms", "ring"]}
                }
              },
              "Deleted": {
                "type": "object",
                "required": ["id", "folder", "status"],
                "properties": {
                  "id": {"type": "integer"},
                  "folder": {"type": "string"},
                  "status": {"const": "deleted"}
                }
              },
              "Signal": {
                "type": "object",
                "required": ["modem_no", "signal_strength"],
                "properties": {
                  "modem_no": {"type": "integer"},
                  "signal_strength": {
                    "type": "integer",
                    "minimum": -1,
                    "maximum": 100,
                    "description": "percent; -1 when the modem is not on the network"
                  }
                }
              },
              "ModemState": {
                "type": "object",
                "required": ["modem_no", "state"],
                "properties": {
                  "modem_no": {"type": "integer"},
                  "state": {"type": "string", "enum": ["enabled", "disabled"]}
                }
              },
              "Contact": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "name", "number", "public", "vacation", "owner_id"],
                "properties": {
                  "id": {"type": "integer"},
                  "name": {"type": "string"},
                  "number": {"type": "string"},
                  "public": {"type": "boolean"},
                  "vacation": {"type": "boolean"},
                  "owner_id": {"type": ["integer", "null"]}
                }
              },
              "Group": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "name", "public", "owner_id"],
                "properties": {
                  "id": {"type": "integer"},
                  "name": {"type": "string"},
                  "public": {"type": "boolean"},
                  "owner_id": {"type": ["integer", "null"]}
                }
              },
              "NewWebhook": {
                "type": "object",
                "required": ["url"],
                "properties": {
                  "url": {"type": "string", "description": "http:// or https://"},
                  "events": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["incoming", "queued", "sent", "delivered", "failed"]},
                    "minItems": 1,
                    "description": "default: all"
                  },
                  "format": {"type": "string", "enum": ["json", "smseagle"], "default": "json"},
                  "method": {
                    "type": "string",
                    "enum": ["POST", "GET"],
                    "default": "POST",
                    "description": "GET only with smseagle"
                  },
                  "secret": {
                    "type": "string",
                    "minLength": 16,
                    "description": "HMAC-SHA256 key; made when not given"
                  },
                  "apikey": {"type": "string", "description": "sent as apikey in the smseagle format"}
                }
              },
              "Webhook": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "user",
                  "url",
                  "events",
                  "format",
                  "method",
                  "all_users",
                  "created_at",
                  "deliveries"
                ],
                "properties": {
                  "id": {"type": "integer"},
                  "user": {"type": "string"},
                  "url": {"type": "string"},
                  "events": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["incoming", "queued", "sent", "delivered", "failed"]}
                  },
                  "format": {"type": "string", "enum": ["json", "smseagle"]},
                  "method": {"type": "string", "enum": ["POST", "GET"]},
                  "all_users": {"type": "boolean"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "deliveries": {
                    "type": "object",
                    "required": ["pending", "delivered", "failed"],
                    "additionalProperties": false,
                    "properties": {
                      "pending": {"type": "integer"},
                      "delivered": {"type": "integer"},
                      "failed": {"type": "integer"}
                    }
                  }
                }
              },
              "WebhookWithSecret": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "user",
                  "url",
                  "events",
                  "format",
                  "method",
                  "all_users",
                  "created_at",
                  "deliveries",
                  "secret"
                ],
                "properties": {
                  "id": {"type": "integer"},
                  "user": {"type": "string"},
                  "url": {"type": "string"},
                  "events": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["incoming", "queued", "sent", "delivered", "failed"]}
                  },
                  "format": {"type": "string", "enum": ["json", "smseagle"]},
                  "method": {"type": "string", "enum": ["POST", "GET"]},
                  "all_users": {"type": "boolean"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "deliveries": {
                    "type": "object",
                    "required": ["pending", "delivered", "failed"],
                    "additionalProperties": false,
                    "properties": {
                      "pending": {"type": "integer"},
                      "delivered": {"type": "integer"},
                      "failed": {"type": "integer"}
                    }
                  },
                  "secret": {"type": "string"}
                }
              },
              "WebhookDelivery": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "event_id",
                  "event",
                  "message_id",
                  "state",
                  "attempts",
                  "next_attempt_at",
                  "last_error",
                  "delivered_at",
                  "queued_at"
                ],
                "properties": {
                  "id": {"type": "integer"},
                  "event_id": {"type": "integer"},
                  "event": {"type": "string", "enum": ["incoming", "queued", "sent", "delivered", "failed"]},
                  "message_id": {"type": "integer"},
                  "state": {"type": "string", "enum": ["pending", "delivered", "failed"]},
                  "attempts": {"type": "integer"},
                  "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
                  "last_error": {"type": ["string", "null"]},
                  "delivered_at": {"type": ["string", "null"], "format": "date-time"},
                  "queued_at": {"type": "string", "format": "date-time"}
                }
              },
              "SendMMS": {
                "allOf": [
                  {"$ref": "#/components/schemas/SendSMS"},
                  {
                    "type": "object",
                    "required": ["attachments"],
                    "properties": {
                      "attachments": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                          "type": "object",
                          "required": ["content_type", "content"],
                          "properties": {
                            "content_type": {
                              "type": "string",
                              "enum": ["image/jpeg", "image/gif", "image/png", "image/bmp"]
                            },
                            "content": {"type": "string", "description": "base64"}
                          }
                        }
                      }
                    }
                  }
                ]
              },
              "Recipients": {
                "type": "object",
                "properties": {
                  "to": {"type": "array", "items": {"type": "string"}},
                  "contacts": {"type": "array", "items": {"type": "integer"}},
                  "groups": {"type": "array", "items": {"type": "integer"}}
                }
              },
              "Ring": {
                "allOf": [
                  {"$ref": "#/components/schemas/Recipients"},
                  {
                    "type": "object",
                    "properties": {
                      "duration": {"type": "integer", "minimum": 1, "maximum": 600, "default": 10},
                      "modem_no": {"type": "integer", "minimum": 1},
                      "priority": {"type": "integer", "minimum": 0, "maximum": 9}
                    }
                  }
                ]
              },
              "TTS": {
                "allOf": [
                  {"$ref": "#/components/schemas/Recipients"},
                  {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                      "text": {"type": "string"},
                      "voice_id": {"type": "integer"},
                      "speed": {"type": "integer"}
                    }
                  }
                ]
              },
              "NewContact": {
                "type": "object",
                "required": ["name", "number"],
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 100},
                  "number": {"type": "string"},
                  "public": {"type": "boolean", "default": false}
                }
              },
              "ContactChange": {
                "type": "object",
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 100},
                  "number": {"type": "string"},
                  "public": {"type": "boolean"}
                }
              },
              "NewGroup": {
                "type": "object",
                "required": ["name"],
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 100},
                  "public": {"type": "boolean", "default": false}
                }
              },
              "GroupChange": {
                "type": "object",
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 100},
                  "public": {"type": "boolean"}
                }
              },
              "Done": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                  "id": {"type": "integer"},
                  "group_id": {"type": "integer"},
                  "status": {"type": "string", "enum": ["deleted", "removed"]},
                  "shift_id": {"type": "integer"}
                }
              },
              "User": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "name", "admin", "permissions", "tokens", "password"],
                "properties": {
                  "id": {"type": "integer"},
                  "name": {"type": "string"},
                  "admin": {"type": "boolean"},
                  "permissions": {"type": "array", "items": {"type": "string"}},
                  "tokens": {"type": "integer"},
                  "password": {"type": "boolean"}
                }
              },
              "NewUser": {
                "type": "object",
                "required": ["name"],
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 64},
                  "admin": {"type": "boolean", "default": false},
                  "permissions": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "APIv1 method names, or * for all"
                  }
                }
              },
              "UserChange": {
                "type": "object",
                "properties": {
                  "admin": {"type": "boolean"},
                  "permissions": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "APIv1 method names, or * for all"
                  }
                }
              },
              "Token": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "user", "created_at"],
                "properties": {
                  "id": {"type": "string", "minLength": 8, "maxLength": 8},
                  "user": {"type": "string"},
                  "created_at": {"type": "string", "format": "date-time"}
                }
              },
              "NewToken": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "user", "created_at", "token"],
                "properties": {
                  "id": {"type": "string", "minLength": 8, "maxLength": 8},
                  "user": {"type": "string"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "token": {"type": "string"}
                }
              },
              "Removed": {
                "type": "object",
                "required": ["status"],
                "properties": {"name": {"type": "string"}, "id": {"type": "string"}, "status": {"const": "deleted"}}
              },
              "DayHours": {
                "type": ["object", "null"],
                "required": ["from", "to"],
                "properties": {
                  "from": {"type": "string", "description": "HH:MM"},
                  "to": {"type": "string", "description": "HH:MM"}
                }
              },
              "Shift": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "name", "enabled", "days"],
                "properties": {
                  "id": {"type": "integer"},
                  "name": {"type": "string"},
                  "enabled": {"type": "boolean"},
                  "days": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "mon": {"$ref": "#/components/schemas/DayHours"},
                      "tue": {"$ref": "#/components/schemas/DayHours"},
                      "wed": {"$ref": "#/components/schemas/DayHours"},
                      "thu": {"$ref": "#/components/schemas/DayHours"},
                      "fri": {"$ref": "#/components/schemas/DayHours"},
                      "sat": {"$ref": "#/components/schemas/DayHours"},
                      "sun": {"$ref": "#/components/schemas/DayHours"}
                    },
                    "required": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                  }
                }
              },
              "NewShift": {
                "type": "object",
                "required": ["name"],
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 100},
                  "enabled": {"type": "boolean", "default": true},
                  "days": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "mon": {"$ref": "#/components/schemas/DayHours"},
                      "tue": {"$ref": "#/components/schemas/DayHours"},
                      "wed": {"$ref": "#/components/schemas/DayHours"},
                      "thu": {"$ref": "#/components/schemas/DayHours"},
                      "fri": {"$ref": "#/components/schemas/DayHours"},
                      "sat": {"$ref": "#/components/schemas/DayHours"},
                      "sun": {"$ref": "#/components/schemas/DayHours"}
                    }
                  }
                }
              },
              "ShiftChange": {
                "type": "object",
                "properties": {
                  "name": {"type": "string", "minLength": 1, "maxLength": 100},
                  "enabled": {"type": "boolean"},
                  "days": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "mon": {"$ref": "#/components/schemas/DayHours"},
                      "tue": {"$ref": "#/components/schemas/DayHours"},
                      "wed": {"$ref": "#/components/schemas/DayHours"},
                      "thu": {"$ref": "#/components/schemas/DayHours"},
                      "fri": {"$ref": "#/components/schemas/DayHours"},
                      "sat": {"$ref": "#/components/schemas/DayHours"},
                      "sun": {"$ref": "#/components/schemas/DayHours"}
                    }
                  }
                }
              },
              "ShiftMembers": {
                "type": "object",
                "required": ["id", "contacts", "status"],
                "properties": {
                  "id": {"type": "integer"},
                  "contacts": {"type": "array", "items": {"type": "integer"}},
                  "status": {"const": "added"}
                }
              }
            },
            "responses": {
              "Unauthorized": {
                "description": "No access token, or not a valid one",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "Forbidden": {
                "description": "The user may not use this method (its permissions are APIv1 method names)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "NotAdmin": {
                "description": "The user is not an admin",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              }
            }
          }
        }
        """#
}
