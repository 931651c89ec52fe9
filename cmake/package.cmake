# Installing and packaging ktape (included from cli/CMakeLists.txt, after the ktape target).
# - The git revision is baked into `ktape version` at configure time (fallback: "unknown", e.g. when
#   built from a source tarball).
# - The man pages and shell completions are generated at build time by running the built ktape
#   (`ktape __man DIR`, `ktape completion SHELL`), so they come from the same CLI11 definitions as
#   --help and cover every command, whoever added it.
# - `cmake --install` puts ktape and a kubectl-tape symlink (a kubectl plugin) in bin/, the pages in
#   share/man/man1 and the completions where Debian's shells look; `cpack -G DEB` packages that with
#   dependencies computed by dpkg-shlibdeps.
include(GNUInstallDirs)

find_package(Git QUIET)
set(KTAPE_GIT_REVISION "unknown")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE git_revision OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE git_result ERROR_QUIET)
  if(git_result EQUAL 0 AND git_revision)
    set(KTAPE_GIT_REVISION "${git_revision}")
  endif()
endif()
set_property(SOURCE ${PROJECT_SOURCE_DIR}/cli/cmd_version.cpp APPEND PROPERTY COMPILE_DEFINITIONS
             KTAPE_GIT_REVISION="${KTAPE_GIT_REVISION}")

set(ktape_generated ${CMAKE_BINARY_DIR}/generated)
add_custom_command(
  OUTPUT ${ktape_generated}/stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${ktape_generated}/man1
  COMMAND ${CMAKE_COMMAND} -E make_directory ${ktape_generated}/man1 ${ktape_generated}/completions
  COMMAND $<TARGET_FILE:ktape> __man ${ktape_generated}/man1
  COMMAND sh -c "gzip -9nf '${ktape_generated}'/man1/*.1"
  COMMAND $<TARGET_FILE:ktape> completion bash > ${ktape_generated}/completions/ktape
  COMMAND $<TARGET_FILE:ktape> completion zsh > ${ktape_generated}/completions/_ktape
  COMMAND $<TARGET_FILE:ktape> completion fish > ${ktape_generated}/completions/ktape.fish
  COMMAND ${CMAKE_COMMAND} -E touch ${ktape_generated}/stamp
  DEPENDS ktape
  COMMENT "Generating ktape's man pages and shell completions from its command definitions"
  VERBATIM)
add_custom_target(ktape_docs ALL DEPENDS ${ktape_generated}/stamp)

install(DIRECTORY ${ktape_generated}/man1 DESTINATION ${CMAKE_INSTALL_MANDIR})
install(FILES ${ktape_generated}/completions/ktape
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${ktape_generated}/completions/_ktape DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${ktape_generated}/completions/ktape.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
# kubectl runs an executable named kubectl-tape on PATH for `kubectl tape ...`, and
# kubectl_complete-tape for its completion; bash-completion loads completions/kubectl-tape for the
# plugin run directly.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/cmake/kubectl_complete-tape DESTINATION ${CMAKE_INSTALL_BINDIR})
install(CODE "
  set(root \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  file(CREATE_LINK ktape \"\${root}/${CMAKE_INSTALL_BINDIR}/kubectl-tape\" SYMBOLIC)
  file(CREATE_LINK ktape \"\${root}/${CMAKE_INSTALL_DATADIR}/bash-completion/completions/kubectl-tape\" SYMBOLIC)")

set(CPACK_PACKAGE_NAME ktape)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ktape maintainers <ktape@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Record Kubernetes cluster objects as a timestamped event stream and replay them")
set(CPACK_PACKAGE_DESCRIPTION
    "ktape records the objects of a Kubernetes cluster as YAML documents over time and replays them into
another cluster. It also runs ktape cluster, an in-memory simulated kube-apiserver, and installs as
the kubectl plugin kubectl-tape.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)  # the debug info stays in the build tree
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
# The shared libraries' packages, as dpkg-shlibdeps finds them from the binary (not guessed).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubectl, bash-completion, man-db")
include(CPack)
