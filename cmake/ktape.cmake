# ktape_library(NAME PUBLIC deps... PRIVATE deps...)
# One static library per top-level folder, built from every .cpp in it. A folder with no sources
# yet is an INTERFACE library, so that the graph can be declared before the code exists.
function(ktape_library name)
  cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(ktape_${name} STATIC ${sources})
    target_link_libraries(ktape_${name} PUBLIC ktape_settings ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  else()
    add_library(ktape_${name} INTERFACE)
    target_link_libraries(ktape_${name} INTERFACE ktape_settings ${ARG_PUBLIC})
  endif()
endfunction()

# ktape_test(FOLDER deps...): tests/FOLDER/test_*.cpp become one doctest binary run by ctest.
function(ktape_test folder)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${folder}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(${folder}_tests ${sources} $<TARGET_OBJECTS:ktape_doctest_main>)
  target_link_libraries(${folder}_tests PRIVATE ktape_settings ${ARGN})
  # Tests are not shipped: in optimised builds they compile at -O1 (5 s a file instead of -O3's 12;
  # CI builds 118 of them on two cores). The libraries they test keep the build type's level.
  target_compile_options(${folder}_tests PRIVATE $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-O1>)
  target_compile_definitions(${folder}_tests PRIVATE
    KTAPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" KTAPE_BINARY="$<TARGET_FILE:ktape>")
  add_test(NAME ${folder} COMMAND ${folder}_tests --no-intro=true)
  set_tests_properties(${folder} PROPERTIES TIMEOUT 1200 ENVIRONMENT "KTAPE_HOME=${CMAKE_BINARY_DIR}/ktape-home")
endfunction()

# Compiles the JSON file JSON (a path in the folder's source) into TARGET as a string literal, so
# that nothing outside the checkout is read at run time: TEMPLATE (a .cpp.in beside it) is
# configured with VARIABLE set to the file's text; editing either file reconfigures.
function(ktape_embed_json target json template variable)
  set(json ${CMAKE_CURRENT_SOURCE_DIR}/${json})
  set(template ${CMAKE_CURRENT_SOURCE_DIR}/${template})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${json} ${template})
  file(READ ${json} text)
  string(STRIP "${text}" ${variable})
  get_filename_component(name ${template} NAME_WLE)
  configure_file(${template} ${CMAKE_CURRENT_BINARY_DIR}/${name} @ONLY)
  target_sources(${target} PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/${name})
endfunction()
