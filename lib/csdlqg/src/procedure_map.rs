//! Per-province procedure codes: some provinces license CSDLQG lookups under their own
//! `MaDVC` for a national procedure. This wrapper rewrites the code sent, from
//! configuration; unmapped procedures are sent as they are.

use std::collections::HashMap;

use crate::{CitizenRecord, LookupError, LookupRequest, PopulationRegistry};

/// A registry that sends mapped `MaDVC` codes to `inner`.
pub struct ProcedureMap<R> {
    inner: R,
    map: HashMap<String, String>,
}

impl<R> ProcedureMap<R> {
    /// Wraps `inner` with `national code → MaDVC` pairs.
    pub fn new(inner: R, map: HashMap<String, String>) -> Self {
        Self { inner, map }
    }

    /// Parses `national=madvc[,national=madvc…]`.
    pub fn parse(spec: &str) -> Result<HashMap<String, String>, String> {
        spec.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                let (from, to) = e
                    .split_once('=')
                    .ok_or_else(|| format!("{e:?}: expected national=madvc"))?;
                let (from, to) = (from.trim(), to.trim());
                if from.is_empty() || to.is_empty() || to.len() > 20 {
                    return Err(format!(
                        "{e:?}: both codes are required and MaDVC is at most 20 characters"
                    ));
                }
                Ok((from.to_owned(), to.to_owned()))
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl<R: PopulationRegistry> PopulationRegistry for ProcedureMap<R> {
    async fn lookup(&self, req: &LookupRequest) -> Result<Option<CitizenRecord>, LookupError> {
        match self.map.get(&req.procedure_code) {
            Some(code) => {
                let mapped = LookupRequest {
                    procedure_code: code.clone(),
                    ..req.clone()
                };
                self.inner.lookup(&mapped).await
            }
            None => self.inner.lookup(req).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use dossierflow_domain::{BirthDate, CitizenName, NationalId};

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    #[async_trait::async_trait]
    impl PopulationRegistry for Seen {
        async fn lookup(&self, req: &LookupRequest) -> Result<Option<CitizenRecord>, LookupError> {
            self.0
                .lock()
                .map_err(|_| LookupError::permanent("poisoned"))?
                .push(req.procedure_code.clone());
            Ok(None)
        }
    }

    fn request(code: &str) -> LookupRequest {
        LookupRequest {
            request_id: "r".into(),
            procedure_code: code.into(),
            id: NationalId::parse("025190012387").expect("id"),
            name: CitizenName::parse("Lê Thị Hoa").expect("name"),
            birth: BirthDate::parse("1990").expect("birth"),
            context: Default::default(),
        }
    }

    #[tokio::test]
    async fn mapped_codes_are_sent_and_others_pass_through() {
        let map = ProcedureMap::<Seen>::parse("1.001193 = HT-KS-01, 1.004227=YT-02").expect("spec");
        let wrapped = ProcedureMap::new(Seen::default(), map);
        wrapped.lookup(&request("1.001193")).await.expect("ok");
        wrapped.lookup(&request("1.000656")).await.expect("ok");
        let seen = wrapped.inner.0.lock().expect("lock").clone();
        assert_eq!(seen, ["HT-KS-01", "1.000656"]);
        assert!(ProcedureMap::<Seen>::parse("1.001193").is_err());
        assert!(ProcedureMap::<Seen>::parse("a=123456789012345678901").is_err());
    }
}
