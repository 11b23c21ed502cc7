//! The `/api` endpoint: poem's router over every operation of [`crate::routes::Api`],
//! with JSON 404 / 405 (+ `Allow`) and the default invalid-body message.

use std::collections::HashMap;
use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::error::MethodNotAllowedError;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response, Route, RouteMethod};
use poem_openapi::OpenApi;

use crate::error::{INVALID_REQUEST_BODY, METHOD_NOT_ALLOWED, json_error, recover};
use crate::router::RouteTable;
use crate::routes::api;

type Table = HashMap<String, HashMap<Method, BoxEndpoint<'static>>>;

fn operations() -> Table {
    let mut table = Table::new();
    api().add_routes(&mut table);
    table
}

/// `/a/:x/b` and `/a/{x}/b` both become `/a/*/b`.
fn shape(template: &str) -> String {
    template
        .split('/')
        .map(|s| {
            if s.starts_with(':') || s.starts_with('{') {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// OpenAPI's `{id}` in poem's `:id` form.
fn poem_form(template: &str) -> String {
    template
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => s.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Every mounted template with its methods. The router mounts poem-openapi's
/// `:param0` forms; the documented names (`:id`) are put back for logs and listings.
pub fn route_table() -> RouteTable {
    let named: HashMap<String, String> = crate::routes::Api::meta()
        .into_iter()
        .flat_map(|api| api.paths)
        .map(|p| (shape(&p.path), poem_form(&p.path)))
        .collect();
    RouteTable::new(operations().into_iter().map(|(path, methods)| {
        let template = named.get(&shape(&path)).cloned().unwrap_or(path);
        (template, methods.into_keys().collect())
    }))
}

/// The API router.
pub struct ApiEndpoint {
    route: Route,
    table: Arc<RouteTable>,
}

impl ApiEndpoint {
    /// Mounts every operation.
    pub fn new(table: Arc<RouteTable>) -> Self {
        let route = operations()
            .into_iter()
            .fold(Route::new(), |route, (path, methods)| {
                let methods = methods
                    .into_iter()
                    .fold(RouteMethod::new(), |rm, (method, ep)| rm.method(method, ep));
                route.at(path, methods)
            });
        ApiEndpoint { route, table }
    }
}

impl Endpoint for ApiEndpoint {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        // poem-openapi's `Query` parameters read the parsed query from here.
        let query: Vec<(String, String)> = req.params().unwrap_or_default();
        req.extensions_mut()
            .insert(poem_openapi::__private::UrlQuery(query));
        let path = req.uri().path().to_owned();
        Ok(match self.route.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) if err.is::<MethodNotAllowedError>() => {
                let mut resp = json_error(StatusCode::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED);
                if let Some(allow) = self
                    .table
                    .find(&path)
                    .and_then(|e| HeaderValue::from_str(&e.allow()).ok())
                {
                    resp.headers_mut().insert(header::ALLOW, allow);
                }
                resp
            }
            Err(err) => recover(err, INVALID_REQUEST_BODY),
        })
    }
}
