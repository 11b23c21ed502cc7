//! Route templates of the API: which template a path matches (for logs and limiter
//! keys) and which methods it allows (for `405` + `Allow`).

use std::sync::Arc;

use poem::http::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param,
}

/// One mounted path template and its methods.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    template: Arc<str>,
    segments: Vec<Segment>,
    methods: Vec<Method>,
}

impl RouteEntry {
    /// The template, poem syntax (`/api/admin/users/:id`).
    pub fn template(&self) -> &Arc<str> {
        &self.template
    }

    /// The value of the `Allow` header: the methods, plus HEAD where GET is served.
    pub fn allow(&self) -> String {
        let mut names: Vec<&str> = Vec::with_capacity(self.methods.len() + 1);
        for method in &self.methods {
            names.push(method.as_str());
            if *method == Method::GET && !self.methods.contains(&Method::HEAD) {
                names.push("HEAD");
            }
        }
        names.join(", ")
    }

    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self.segments.iter().zip(segments).all(|(t, s)| match t {
                Segment::Static(v) => v == s,
                Segment::Param => !s.is_empty(),
            })
    }

    /// Whether `self` wins over `other` (both matching): static beats a parameter at the
    /// first position where they differ, as in poem's router.
    fn more_specific_than(&self, other: &RouteEntry) -> bool {
        for (a, b) in self.segments.iter().zip(&other.segments) {
            match (a, b) {
                (Segment::Static(_), Segment::Param) => return true,
                (Segment::Param, Segment::Static(_)) => return false,
                _ => {}
            }
        }
        false
    }
}

/// Every API path template with its methods.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    entries: Vec<RouteEntry>,
}

impl RouteTable {
    /// A table of `(template, methods)` pairs; templates use `:name` parameters.
    pub fn new(routes: impl IntoIterator<Item = (String, Vec<Method>)>) -> Self {
        let mut entries: Vec<RouteEntry> = routes
            .into_iter()
            .map(|(template, mut methods)| {
                methods.sort_by_key(method_rank);
                methods.dedup();
                let segments = template
                    .split('/')
                    .skip(1)
                    .map(|s| {
                        if s.starts_with(':') || s.starts_with('{') {
                            Segment::Param
                        } else {
                            Segment::Static(s.to_owned())
                        }
                    })
                    .collect();
                RouteEntry {
                    template: template.into(),
                    segments,
                    methods,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.template.cmp(&b.template));
        RouteTable { entries }
    }

    /// The templates, sorted.
    pub fn templates(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| &*e.template)
    }

    /// The template `path` is routed to, if any.
    pub fn find(&self, path: &str) -> Option<&RouteEntry> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let mut best: Option<&RouteEntry> = None;
        for entry in self.entries.iter().filter(|e| e.matches(&segments)) {
            best = match best {
                Some(b) if !entry.more_specific_than(b) => Some(b),
                _ => Some(entry),
            };
        }
        best
    }
}

fn method_rank(m: &Method) -> usize {
    [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ]
    .iter()
    .position(|x| x == m)
    .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::new([
            ("/api/room/list".to_owned(), vec![Method::GET]),
            ("/api/room/:roomId".to_owned(), vec![Method::DELETE]),
            ("/api/admin/users/:id/status".to_owned(), vec![Method::PUT]),
            ("/api/health".to_owned(), vec![Method::GET]),
        ])
    }

    #[test]
    fn finds_the_most_specific_template() {
        let t = table();
        assert_eq!(
            t.find("/api/room/list").map(|e| &**e.template()),
            Some("/api/room/list")
        );
        assert_eq!(
            t.find("/api/room/abc").map(|e| &**e.template()),
            Some("/api/room/:roomId")
        );
        assert_eq!(
            t.find("/api/admin/users/x/status").map(|e| &**e.template()),
            Some("/api/admin/users/:id/status")
        );
        assert!(t.find("/api/admin/users//status").is_none());
        assert!(t.find("/api/nope").is_none());
        assert!(t.find("/api/health/").is_none());
    }

    #[test]
    fn allow_lists_methods_and_head_for_get() {
        let t = table();
        assert_eq!(
            t.find("/api/health").map(RouteEntry::allow).as_deref(),
            Some("GET, HEAD")
        );
        assert_eq!(
            t.find("/api/room/x").map(RouteEntry::allow).as_deref(),
            Some("DELETE")
        );
    }
}
